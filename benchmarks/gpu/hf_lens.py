#!/usr/bin/env python3
"""The peer side of the GPU check (scripts/device/gpu-lens.sh): random GPT-2 weights in a Hugging Face folder,
the logit lens of them in torch (Hugging Face transformers' GPT2LMHeadModel where it is installed), the comparison
with what logitlens wrote, and the idiomatic torch lens timed on the same card.

    hf_lens.py make      --out DIR --layers L --d D --heads H [--vocab V] [--ctx C] [--seed S]
    hf_lens.py reference --model DIR --tokens FILE --out REF.npz [--device cuda]
    hf_lens.py compare   --ref REF.npz --residuals R.npy --csv LENS.csv [--csv2 LENS2.csv] --label NAME
    hf_lens.py time      --model DIR --tokens FILE [--device cuda] [--repeat N]

Shapes (row-major, outermost first): hidden [L+1, T, d]; logits [L+1, T, V]. The reference normalises every hidden
state with ln_f, except transformers' last one, which GPT2Model already returned through ln_f.
Without transformers (a CPU dry run of the script) the forward pass is this file's own torch GPT-2.
"""
import argparse
import csv
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch

try:
    import transformers  # noqa: F401
    HAVE_TRANSFORMERS = True
except ImportError:
    HAVE_TRANSFORMERS = False


# ---- weights -----------------------------------------------------------------------------------------------

def write_safetensors(path, tensors):
    """The safetensors format: an 8-byte little-endian header length, a JSON header, the raw little-endian data."""
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        data = t.detach().to("cpu", torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def read_safetensors(path, device):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for name, meta in header.items():
            if name == "__metadata__":
                continue
            start, end = meta["data_offsets"]
            f.seek(base + start)
            array = np.frombuffer(f.read(end - start), dtype=np.float32).reshape(meta["shape"])
            out[name] = torch.from_numpy(array.copy()).to(device)
        return out


def make(args):
    """Random weights at GPT-2 scale (N(0, 0.02) matrices, as GPT-2's initialisation), noisy norms and biases."""
    g = torch.Generator().manual_seed(args.seed)
    d, L, V, C = args.d, args.layers, args.vocab, args.ctx
    def normal(*shape, std=0.02):
        return torch.randn(*shape, generator=g) * std
    t = {"transformer.wte.weight": normal(V, d), "transformer.wpe.weight": normal(C, d, std=0.01)}
    for i in range(L):
        p = f"transformer.h.{i}."
        t[p + "ln_1.weight"] = 1 + normal(d, std=0.1)
        t[p + "ln_1.bias"] = normal(d)
        t[p + "attn.c_attn.weight"] = normal(d, 3 * d)      # Conv1D: [in, out]
        t[p + "attn.c_attn.bias"] = normal(3 * d)
        t[p + "attn.c_proj.weight"] = normal(d, d, std=0.02 / math.sqrt(2 * L))
        t[p + "attn.c_proj.bias"] = normal(d)
        t[p + "ln_2.weight"] = 1 + normal(d, std=0.1)
        t[p + "ln_2.bias"] = normal(d)
        t[p + "mlp.c_fc.weight"] = normal(d, 4 * d)
        t[p + "mlp.c_fc.bias"] = normal(4 * d)
        t[p + "mlp.c_proj.weight"] = normal(4 * d, d, std=0.02 / math.sqrt(2 * L))
        t[p + "mlp.c_proj.bias"] = normal(d)
    t["transformer.ln_f.weight"] = 1 + normal(d, std=0.1)
    t["transformer.ln_f.bias"] = normal(d)
    os.makedirs(args.out, exist_ok=True)
    config = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": V, "n_positions": C,
              "n_ctx": C, "n_embd": d, "n_layer": L, "n_head": args.heads, "layer_norm_epsilon": 1e-5,
              "activation_function": "gelu_new", "tie_word_embeddings": True}
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    write_safetensors(os.path.join(args.out, "model.safetensors"), t)
    print(f"wrote {args.out}: L={L} d={d} H={args.heads} V={V} C={C}")


# ---- the forward pass -------------------------------------------------------------------------------------------

def load(model_dir, device):
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    weights = read_safetensors(os.path.join(model_dir, "model.safetensors"), device)
    return config, weights


_TRANSFORMERS_MODELS = {}  # id(weights) -> GPT2LMHeadModel, so that timing repeats do not rebuild it


def normalised_rows(config, w, tokens, device):
    """[L+1, T, d] float32: the residual stream after the embeddings and each block, every row through ln_f."""
    ids = torch.tensor(tokens, device=device)
    ln_f = (w["transformer.ln_f.weight"], w["transformer.ln_f.bias"])
    def norm(h):
        return torch.nn.functional.layer_norm(h, (h.shape[-1],), *ln_f, config["layer_norm_epsilon"])
    with torch.no_grad():
        if not HAVE_TRANSFORMERS:
            return torch.stack([norm(h) for h in own_forward(config, w, ids)]).float()
        from transformers import GPT2Config, GPT2LMHeadModel
        if id(w) not in _TRANSFORMERS_MODELS:
            model = GPT2LMHeadModel(GPT2Config(**{k: v for k, v in config.items() if k != "architectures"}))
            model.load_state_dict(w, strict=False)
            model.tie_weights()
            _TRANSFORMERS_MODELS[id(w)] = model.to(device).eval()
        out = _TRANSFORMERS_MODELS[id(w)](ids[None, :], output_hidden_states=True)
        hs = [h[0] for h in out.hidden_states]       # L+1 of [T, d]; GPT2Model already put the last through ln_f
        return torch.stack([norm(h) for h in hs[:-1]] + [hs[-1]]).float()


def own_forward(config, w, ids):
    """GPT-2 in plain torch (for machines without transformers): the raw residual after the embeddings and each block."""
    L, H, eps = config["n_layer"], config["n_head"], config["layer_norm_epsilon"]
    T = ids.shape[0]
    x = w["transformer.wte.weight"][ids] + w["transformer.wpe.weight"][:T]
    d = x.shape[-1]
    out = [x]
    mask = torch.full((T, T), float("-inf"), device=x.device).triu(1)
    for i in range(L):
        p = f"transformer.h.{i}."
        h = torch.nn.functional.layer_norm(x, (d,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        q, k, v = (h @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]).split(d, dim=-1)
        q, k, v = (t.view(T, H, d // H).transpose(0, 1) for t in (q, k, v))
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // H) + mask, dim=-1) @ v
        x = x + a.transpose(0, 1).reshape(T, d) @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        h = torch.nn.functional.layer_norm(x, (d,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        h = torch.nn.functional.gelu(h @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"], approximate="tanh")
        x = x + h @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
        out.append(x)
    return out


# ---- the lens, idiomatic torch -----------------------------------------------------------------------------------

def lens(rows, w_u, tokens, k=5):
    """Every statistic of the logit lens from rows [L+1, T, d]: logits materialised, log_softmax, topk, ranks, KL."""
    logits = rows @ w_u.T                                           # [L+1, T, V]
    logp = torch.log_softmax(logits, dim=-1)                        # [L+1, T, V]
    top = torch.topk(logits, k, dim=-1)                             # [L+1, T, k]
    final_top1 = logits[-1].argmax(dim=-1)                          # [T]
    t = torch.tensor(tokens, device=rows.device)
    nxt = torch.cat([t[1:], t[:1]])                                 # the last position's has no meaning
    def rank(ids):                                                  # 1 + #{v : z[v] > z[id]}
        z_id = logits.gather(-1, ids.expand(logits.shape[0], -1)[..., None])
        return 1 + (logits > z_id).sum(-1)
    p = logp.exp()
    return {
        "top_ids": top.indices, "top_logits": top.values,
        "lse": torch.logsumexp(logits, dim=-1),
        "entropy": -(p * logp).sum(-1),
        "kl_final": (p[-1] * (logp[-1] - logp)).sum(-1),
        "kl_input": (p[0] * (logp[0] - logp)).sum(-1),
        "rank_final_top1": rank(final_top1), "rank_next": rank(nxt), "rank_input": rank(t),
    }


def reference(args):
    tokens = read_tokens(args.tokens)
    config, w = load(args.model, args.device)
    rows = normalised_rows(config, w, tokens, args.device)
    stats = lens(rows.double(), w["transformer.wte.weight"].double(), tokens)  # float64 statistics of the float32 rows
    np.savez(args.out, residual=rows.cpu().numpy(), **{k: v.cpu().numpy() for k, v in stats.items()})
    print(f"reference ({'transformers' if HAVE_TRANSFORMERS else 'own torch GPT-2'}, {args.device}): "
          f"[{rows.shape[0]}, {rows.shape[1]}, {rows.shape[2]}] -> {args.out}")


# ---- comparison --------------------------------------------------------------------------------------------------

def read_npy(path):
    return np.load(path)


def read_csv(path):
    """The lens CSV of `logitlens run --format csv` as {column: [L+1, T] array}."""
    with open(path) as f:
        rows = list(csv.DictReader(f))
    L1 = max(int(r["layer"]) for r in rows) + 1
    T = max(int(r["position"]) for r in rows) + 1
    out = {}
    for column in ("top1_id", "rank_final_top1", "rank_next", "rank_input", "kl_final", "kl_input", "entropy"):
        a = np.full((L1, T), np.nan)
        for r in rows:
            a[int(r["layer"]), int(r["position"])] = float(r[column]) if r[column] != "" else np.nan
        out[column] = a
    return out


def compare(args):
    ref = np.load(args.ref)
    res = read_npy(args.residuals)
    worst = {"residual": float(np.max(np.abs(res - ref["residual"]) / (1 + np.abs(ref["residual"]))))}
    lens_ = read_csv(args.csv)
    T = ref["residual"].shape[1]
    top1 = ref["top_ids"][..., 0]
    agreement = float(np.mean(lens_["top1_id"] == top1))
    for name in ("kl_final", "kl_input", "entropy"):
        worst[name] = float(np.max(np.abs(lens_[name] - ref[name]) / (1 + np.abs(ref[name]))))
    rank_diff = {}
    for name in ("rank_final_top1", "rank_input"):
        rank_diff[name] = int(np.max(np.abs(lens_[name] - ref[name])))
    rank_diff["rank_next"] = int(np.max(np.abs(lens_["rank_next"][:, :T - 1] - ref["rank_next"][:, :T - 1])))
    report = {"label": args.label, "max_relative_error": worst, "top1_agreement": agreement, "max_rank_change": rank_diff}
    if args.csv2:
        other = read_csv(args.csv2)
        report["vs_second"] = {
            "top1_equal": bool(np.array_equal(other["top1_id"], lens_["top1_id"])),
            "ranks_equal": all(np.array_equal(np.nan_to_num(other[n]), np.nan_to_num(lens_[n]))
                               for n in ("rank_final_top1", "rank_next", "rank_input")),
            "max_kl_difference": float(max(np.nanmax(np.abs(other[n] - lens_[n])) for n in ("kl_final", "kl_input"))),
        }
    print(json.dumps(report))
    ok = worst["residual"] <= args.residual_tolerance and all(
        worst[n] <= args.stat_tolerance for n in ("kl_final", "kl_input", "entropy")) and agreement >= args.min_top1
    if args.csv2:
        ok = ok and report["vs_second"]["max_kl_difference"] <= args.stat_tolerance
    sys.exit(0 if ok else 1)


# ---- timing ------------------------------------------------------------------------------------------------------

def time_torch(args):
    """Forward + the whole lens in torch float32, as a researcher would write it; best of --repeat; peak memory."""
    tokens = read_tokens(args.tokens)
    device = args.device
    config, w = load(args.model, device)
    w_u = w["transformer.wte.weight"]
    best = float("inf")
    for _ in range(args.repeat):
        if device == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        with torch.no_grad():
            rows = normalised_rows(config, w, tokens, device)
            stats = lens(rows, w_u, tokens)
            for v in stats.values():
                v.sum().item()
        if device == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    peak = torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else float("nan")
    print(json.dumps({"torch_seconds": best, "torch_peak_gib": peak, "tokens": len(tokens),
                      "layers": config["n_layer"], "d": config["n_embd"],
                      "forward": "transformers" if HAVE_TRANSFORMERS else "own torch GPT-2"}))


def read_tokens(path):
    with open(path) as f:
        return [int(x) for x in f.read().replace("\n", ",").split(",") if x.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make")
    m.add_argument("--out", required=True)
    m.add_argument("--layers", type=int, required=True)
    m.add_argument("--d", type=int, required=True)
    m.add_argument("--heads", type=int, required=True)
    m.add_argument("--vocab", type=int, default=50257)
    m.add_argument("--ctx", type=int, default=1024)
    m.add_argument("--seed", type=int, default=1)
    r = sub.add_parser("reference")
    r.add_argument("--model", required=True)
    r.add_argument("--tokens", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--device", default="cpu")
    c = sub.add_parser("compare")
    c.add_argument("--ref", required=True)
    c.add_argument("--residuals", required=True)
    c.add_argument("--csv", required=True)
    c.add_argument("--csv2")
    c.add_argument("--label", required=True)
    c.add_argument("--residual-tolerance", type=float, default=1e-3)
    c.add_argument("--stat-tolerance", type=float, default=1e-3)
    c.add_argument("--min-top1", type=float, default=0.99)
    t = sub.add_parser("time")
    t.add_argument("--model", required=True)
    t.add_argument("--tokens", required=True)
    t.add_argument("--device", default="cpu")
    t.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    {"make": make, "reference": reference, "compare": compare, "time": time_torch}[args.command](args)


if __name__ == "__main__":
    main()
