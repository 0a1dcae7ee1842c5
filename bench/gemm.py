#!/usr/bin/python3
"""numpy (OpenBLAS) sgemm GFLOP/s on the shapes of tensor/bench_test.go.

The shapes (name, transA, transB, m, n, k) are read from benchShapes in
tensor/bench_test.go, so both sides always time the same products:
C [m×n] = op(A)·op(B) with op(A) [m×k], op(B) [k×n], float32, row-major, A
stored k×m when transposed and B stored n×k when transposed, exactly as the Go
benchmark lays them out; numpy passes the transposition to cblas_sgemm.

One thread by default (threadpoolctl when importable; also set
OPENBLAS_NUM_THREADS=1 in the environment, since some builds read it only at
load time). The OpenBLAS core type is whatever the library picks, or
OPENBLAS_CORETYPE from the environment; the JSON reports which it used.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/gemm.py [--threads 1] [--filter dec] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import time

ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--filter", default="", help="only shapes whose name contains this")
ap.add_argument("--shape", default="", help="only the shape of exactly this name")
ap.add_argument("--list", action="store_true", help="print the shape names and exit")
ap.add_argument("--min-time", type=float, default=0.2, help="seconds per timed repeat")
ap.add_argument("--repeats", type=int, default=5)
ap.add_argument("--shapes", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tensor", "bench_test.go"))
ap.add_argument("--json", action="store_true")
ap.add_argument("--peak-cmd", default="", help="command printing the FMA peak as 'N GFLOP/s' (bench/fmapeak's test binary): "
                "run before each timed repeat, and each repeat is also reported over that peak (of_peak)")
a = ap.parse_args()
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(a.threads))

import numpy as np  # noqa: E402

try:
    import threadpoolctl  # noqa: E402

    _limits = threadpoolctl.threadpool_limits(limits=a.threads, user_api="blas")
except ImportError:
    threadpoolctl = None

SHAPE = re.compile(r'\{"(\w+)",\s*(true|false),\s*(true|false),\s*(\d+),\s*(\d+),\s*(\d+)\}')


def read_shapes(path):
    with open(path) as f:
        src = f.read()
    body = src[src.index("var benchShapes") :]
    body = body[: body.index("\n}\n")]
    return [(n, ta == "true", tb == "true", int(m), int(nn), int(k)) for n, ta, tb, m, nn, k in SHAPE.findall(body)]


def time_shape(ta, tb, m, n, k, min_time, repeats, peak_cmd=""):
    rng = np.random.default_rng(1)
    A = rng.uniform(-1, 1, (k, m) if ta else (m, k)).astype(np.float32)
    B = rng.uniform(-1, 1, (n, k) if tb else (k, n)).astype(np.float32)
    C = np.zeros((m, n), np.float32)
    opA = A.T if ta else A
    opB = B.T if tb else B
    np.dot(opA, opB, out=C)  # warm up
    flops = 2.0 * m * n * k
    t0 = time.perf_counter()
    np.dot(opA, opB, out=C)
    once = max(time.perf_counter() - t0, 1e-7)
    inner = max(1, int(min_time / once))
    rates, peaks = [], []
    for _ in range(repeats):
        if peak_cmd:
            peaks.append(fma_peak(peak_cmd))
        t0 = time.perf_counter()
        for _ in range(inner):
            np.dot(opA, opB, out=C)
        rates.append(flops * inner / (time.perf_counter() - t0) / 1e9)
    return rates, peaks


def fma_peak(cmd):
    """The GFLOP/s that cmd prints (the last figure, if several)."""
    out = subprocess.run(shlex.split(cmd), capture_output=True, text=True, check=True).stdout
    found = re.findall(r"([\d.]+) GFLOP/s", out)
    if not found:
        raise SystemExit(f"gemm.py: --peak-cmd printed no GFLOP/s: {out!r}")
    return float(found[-1])


def main():
    shapes = [s for s in read_shapes(a.shapes) if a.filter in s[0] and a.shape in ("", s[0])]
    if a.list:
        print("\n".join(s[0] for s in shapes))
        return 0
    if not shapes:
        print("gemm.py: no shapes matched", file=sys.stderr)
        return 1
    info = []
    if threadpoolctl is not None:
        info = [{k: i.get(k) for k in ("internal_api", "version", "architecture", "num_threads", "filepath")}
                for i in threadpoolctl.threadpool_info()]
    out = {"impl": "numpy", "numpy": np.__version__, "threads": a.threads,
           "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", ""), "blas": info, "shapes": {}}
    for name, ta, tb, m, n, k in shapes:
        rates, peaks = time_shape(ta, tb, m, n, k, a.min_time, a.repeats, a.peak_cmd)
        out["shapes"][name] = {"gflops": statistics.median(rates), "gflops_max": max(rates), "all": rates}
        if peaks:
            # The median of per-repeat fractions, as BenchmarkGemmOfPeak reports.
            out["shapes"][name].update(peaks=peaks, of_peak=statistics.median(r / p for r, p in zip(rates, peaks)))
        if not a.json:
            print(f"{name:28s} {statistics.median(rates):8.1f} GFLOP/s (max {max(rates):.1f})", flush=True)
    if a.json:
        print(json.dumps(out))
    else:
        print("BLAS:", [(i["internal_api"], i["architecture"], i["num_threads"]) for i in info])
    return 0


if __name__ == "__main__":
    sys.exit(main())
