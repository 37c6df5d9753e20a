#!/usr/bin/env python3
"""The logit lens of one short input as a PyTorch process: the peer that `logitlens run` is timed against
(docs/BENCHMARKS.md, "Time to first lens").

Does the job `logitlens run --model DIR --tokens ...` does, the idiomatic PyTorch way, from a cold process:
import torch, read a Hugging Face GPT-2 folder (config.json + model.safetensors, memory-mapped), run GPT-2 keeping
every layer's residual, apply ln_f and the unembedding to each, and compute per (layer, position) the top-5,
log-softmax, the ranks of the final top-1 / next / input token, KL(final || layer), KL(layer 0 || layer) and the
entropy; print the top-1 table. Debian 12's python3-torch (1.13) has no safetensors or transformers, so the
safetensors header is parsed here (it is a JSON header and raw little-endian tensors) and GPT-2 is written out
(12 lines of model code).

    /usr/bin/python3 benchmarks/python/lens_torch.py HF_FOLDER 464,3139,286,4881,318,6342,13,383 [THREADS]

With --timings it prints each phase on standard error.
"""
import json
import math
import mmap
import struct
import sys
import time
import warnings

T0 = time.perf_counter()
import numpy as np  # noqa: E402
import torch  # noqa: E402

T_IMPORT = time.perf_counter()
# the weights are a read-only mapping, as safetensors' own loader gives; nothing writes to them
warnings.filterwarnings("ignore", message="The given NumPy array is not writable")

DTYPES = {"F32": np.float32, "F16": np.float16}


def read_safetensors(path):
    """name -> torch tensor, memory-mapped (no copy until used)."""
    f = open(path, "rb")
    mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    (header_len,) = struct.unpack("<Q", mapped[:8])
    header = json.loads(mapped[8 : 8 + header_len])
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(mapped, dtype=DTYPES[info["dtype"]], count=(end - start) // np.dtype(DTYPES[info["dtype"]]).itemsize,
                              offset=base + start).reshape(info["shape"])
        tensors[name.removeprefix("transformer.")] = torch.from_numpy(array)
    return tensors


def gpt2_hidden_states(w, cfg, tokens):
    """[n_layer + 1, T, d]: the residual after the embeddings and after each block (GPT-2, Conv1D weights [in, out])."""
    n_head, eps = cfg["n_head"], cfg.get("layer_norm_epsilon", 1e-5)
    T = len(tokens)
    x = w["wte.weight"][tokens] + w["wpe.weight"][:T]
    states = [x]
    mask = torch.full((T, T), float("-inf")).triu(1)
    for l in range(cfg["n_layer"]):
        p = f"h.{l}."
        h = torch.nn.functional.layer_norm(x, (x.shape[-1],), w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        q, k, v = (h @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]).split(x.shape[-1], dim=-1)
        q, k, v = (t.view(T, n_head, -1).transpose(0, 1) for t in (q, k, v))
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) + mask, dim=-1) @ v
        x = x + a.transpose(0, 1).reshape(T, -1) @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        h = torch.nn.functional.layer_norm(x, (x.shape[-1],), w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        h = torch.nn.functional.gelu(h @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"], approximate="tanh")
        x = x + h @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
        states.append(x)
    return torch.stack(states), eps


def lens(states, w, eps, tokens, k=5):
    """Every statistic of `logitlens run`, idiomatically: materialised logits and log_softmax."""
    normed = torch.nn.functional.layer_norm(states, (states.shape[-1],), w["ln_f.weight"], w["ln_f.bias"], eps)
    logits = normed @ w.get("lm_head.weight", w["wte.weight"]).T  # [L+1, T, V]
    logp = torch.log_softmax(logits, dim=-1)
    top = logits.topk(k, dim=-1)
    final_top1 = logits[-1].argmax(-1)  # [T]

    def rank(ids):  # [T] ids -> [L+1, T] ranks, 1 + #{v : z[v] > z[x]}
        target = logits.gather(-1, ids.view(1, -1, 1).expand(logits.shape[0], -1, 1))
        return 1 + (logits > target).sum(-1)

    tokens_t = torch.tensor(tokens)
    ranks = (rank(final_top1), rank(torch.cat([tokens_t[1:], tokens_t[-1:]])), rank(tokens_t))
    p = logp.exp()
    kl_final = (p[-1:] * (logp[-1:] - logp)).sum(-1)
    kl_input = (p[:1] * (logp[:1] - logp)).sum(-1)
    entropy = -(p * logp).sum(-1)
    return top, ranks, kl_final, kl_input, entropy


def main():
    args = [a for a in sys.argv[1:] if a != "--timings"]
    folder, tokens = args[0], [int(t) for t in args[1].split(",")]
    if len(args) > 2:
        torch.set_num_threads(int(args[2]))
    t = time.perf_counter()
    cfg = json.load(open(folder + "/config.json"))
    w = read_safetensors(folder + "/model.safetensors")
    t_load = time.perf_counter()
    with torch.inference_mode():
        states, eps = gpt2_hidden_states(w, cfg, tokens)
        t_forward = time.perf_counter()
        top, ranks, kl_final, kl_input, entropy = lens(states, w, eps, tokens)
        t_lens = time.perf_counter()
    ids = top.indices
    for layer in reversed(range(ids.shape[0])):
        print(f"h{layer:<3}" + " ".join(f"{int(i):>6}" for i in ids[layer, :, 0]))
    print("kl_final " + " ".join(f"{float(v):.3f}" for v in kl_final[0]))
    t_out = time.perf_counter()
    if "--timings" in sys.argv:
        for name, a, b in (("import torch", T0, T_IMPORT), ("load", t, t_load), ("forward", t_load, t_forward),
                           ("lens", t_forward, t_lens), ("output", t_lens, t_out)):
            print(f"{name:<14}{(b - a) * 1e3:9.1f} ms", file=sys.stderr)


if __name__ == "__main__":
    main()
