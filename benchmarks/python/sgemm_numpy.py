#!/usr/bin/env python3
"""The bar for the full lens (docs/BENCHMARKS.md, "The steady state"): one float32 sgemm of the lens's shape,
[(n_layer + 1) * T, d] x [d, V], through numpy's BLAS (Debian's OpenBLAS), best of REPEAT after one warm-up.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 \\
        /usr/bin/python3 benchmarks/python/sgemm_numpy.py 512 1024

This machine's environment sets OPENBLAS_CORETYPE=Haswell (forcing AVX2 kernels); unset it, as above, for
OpenBLAS's best kernel on an AVX-512 CPU. The kernel OpenBLAS picked is printed (numpy's config).
"""
import os
import sys
import time

import numpy as np

LAYERS, D, V = 13, 768, 50257  # GPT-2 small


def main():
    repeat = 3
    rng = np.random.default_rng(0)
    w = rng.standard_normal((V, D), dtype=np.float32)
    try:
        from threadpoolctl import threadpool_info  # noqa: F401  (not in Debian 12; optional)
        print(threadpool_info())
    except ImportError:
        print("OPENBLAS_CORETYPE=%s OPENBLAS_NUM_THREADS=%s" % (os.environ.get("OPENBLAS_CORETYPE"),
                                                              os.environ.get("OPENBLAS_NUM_THREADS")))
    for t in (int(a) for a in sys.argv[1:] or ["512", "1024"]):
        h = rng.standard_normal((LAYERS * t, D), dtype=np.float32)
        out = np.empty((LAYERS * t, V), dtype=np.float32)
        np.matmul(h, w.T, out=out)
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            np.matmul(h, w.T, out=out)
            best = min(best, time.perf_counter() - start)
        flops = 2.0 * LAYERS * t * D * V
        print(f"T={t}: sgemm [{LAYERS * t}, {D}] x [{D}, {V}] best {best:.3f} s, {flops / best / 1e9:.0f} GFLOP/s")


if __name__ == "__main__":
    main()
