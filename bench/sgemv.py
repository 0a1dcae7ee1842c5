#!/usr/bin/python3
"""OpenBLAS cblas_sgemv on the products of one token of the paper EGRU, one thread.

The shapes (model, name, k, n, nt) are read from paperGEMVShapes in
tensor/paper_gemv_bench_test.go, so both sides time the same products with
the same layout, float32 and row-major:

    layer W [k×n], R [k×n]:  y [n] += x [k]·W     cblas_sgemv(RowMajor, Trans,   k, n, 1, W, n, x, 1, 1, y, 1)
    decoder (nt) Emb [n×k]:  y [n] += Emb·h [k]   cblas_sgemv(RowMajor, NoTrans, n, k, 1, Emb, k, h, 1, 1, y, 1)

("token" runs every product of the model in turn, as BenchmarkPaperGEMV's
token does.) OpenBLAS is called through ctypes on libopenblas.so.0 (--lib)
with openblas_set_num_threads(1); numpy only holds the buffers. A ctypes
call costs about a microsecond, under 0.1% of a paper-shape product (0.5 ms
or more), but most of a tiny one: the tiny model is for smoke runs only.
The core type is whatever OpenBLAS picks, or OPENBLAS_CORETYPE from the
environment; the JSON reports it (openblas_get_corename).

    /usr/bin/python3 bench/sgemv.py --model paper [--shape l0_W_750x4050|token] [--json]
    /usr/bin/python3 bench/sgemv.py --model paper --list
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SHAPE = re.compile(r'\{"(\w+)",\s*"(\w+)",\s*(\d+),\s*(\d+),\s*(true|false)\}')
ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="paper", help="model of paperGEMVShapes: paper, paper_v33278, tiny")
    ap.add_argument("--shape", default="", help="only this product (or token); all of them and token by default")
    ap.add_argument("--list", action="store_true", help="print the model's product names, then token, and exit")
    ap.add_argument("--min-time", type=float, default=0.3, help="seconds per timed repeat")
    ap.add_argument("--repeats", type=int, default=3, help="timed repeats; ns/op is their median")
    ap.add_argument("--lib", default="/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0")
    ap.add_argument("--shapes", default=os.path.join(HERE, "..", "tensor", "paper_gemv_bench_test.go"))
    ap.add_argument("--json", action="store_true")
    return ap.parse_args(argv)


def read_shapes(path, model):
    """The products of model in paperGEMVShapes, in order: [(name, k, n, nt)]."""
    with open(path) as f:
        src = f.read()
    body = src[src.index("var paperGEMVShapes") :]
    body = body[: body.index("\n}\n")]
    return [(name, int(k), int(n), nt == "true") for m, name, k, n, nt in SHAPE.findall(body) if m == model]


def load_openblas(path):
    lib = ctypes.CDLL(path)
    f, i, p = ctypes.c_float, ctypes.c_int, ctypes.c_void_p
    lib.cblas_sgemv.argtypes = [i, i, i, i, f, p, i, p, i, f, p, i]
    lib.cblas_sgemv.restype = None
    lib.openblas_get_corename.restype = ctypes.c_char_p
    lib.openblas_get_config.restype = ctypes.c_char_p
    return lib


class Product:
    """One product's buffers (random, seed fixed) and its sgemv call."""

    def __init__(self, lib, name, k, n, nt, np):
        rng = np.random.default_rng(k * n)
        self.name, self.k, self.n, self.nt = name, k, n, nt
        self.x = rng.uniform(-1, 1, k).astype(np.float32)
        self.w = rng.uniform(-1, 1, k * n).astype(np.float32)  # W [k×n], or Emb [n×k] if nt
        self.y = np.zeros(n, np.float32)
        xp, wp, yp = (ctypes.c_void_p(a.ctypes.data) for a in (self.x, self.w, self.y))
        sgemv = lib.cblas_sgemv
        if nt:
            self.run = lambda: sgemv(ROW_MAJOR, NO_TRANS, n, k, 1.0, wp, k, xp, 1, 1.0, yp, 1)
        else:
            self.run = lambda: sgemv(ROW_MAJOR, TRANS, k, n, 1.0, wp, n, xp, 1, 1.0, yp, 1)

    def check(self, np):
        """Compares one call with numpy in float64, so that a wrong layout or transposition (an O(1)
        error) cannot pass. Tolerance 1e-3 of max|y|: float32 summation of k ≤ 1350 products errs by
        at most about k·2⁻²⁴·Σ|x·w| ≈ 6e-4·max|y| for uniform operands, typically far less."""
        self.y[:] = 0
        self.run()
        w = self.w.reshape(self.n, self.k) if self.nt else self.w.reshape(self.k, self.n).T
        want = w.astype(np.float64) @ self.x.astype(np.float64)
        err = float(np.max(np.abs(self.y - want)) / max(1e-30, float(np.max(np.abs(want)))))
        if err > 1e-3:
            raise SystemExit(f"sgemv.py: {self.name}: cblas_sgemv differs from numpy by {err:.2e} (relative)")


def time_ops(ops, min_time, repeats):
    """Median ns per pass over ops (each op called once per pass) and every repeat's figure."""
    for o in ops:
        o.run()
    t0 = time.perf_counter()
    for o in ops:
        o.run()
    once = max(time.perf_counter() - t0, 1e-7)
    inner = max(1, int(min_time / once))
    per = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            for o in ops:
                o.run()
        per.append((time.perf_counter() - t0) / inner * 1e9)
    return statistics.median(per), per


def main(a):
    shapes = read_shapes(a.shapes, a.model)
    if not shapes:
        print(f"sgemv.py: no shapes of model {a.model!r} in {a.shapes}", file=sys.stderr)
        return 1
    names = [s[0] for s in shapes] + ["token"]
    if a.list:
        print("\n".join(names))
        return 0
    if a.shape and a.shape not in names:
        print(f"sgemv.py: no shape {a.shape!r} in model {a.model} (have {', '.join(names)})", file=sys.stderr)
        return 1
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import numpy as np

    lib = load_openblas(a.lib)
    lib.openblas_set_num_threads(1)
    out = {"impl": "openblas", "model": a.model, "threads": lib.openblas_get_num_threads(),
           "corename": lib.openblas_get_corename().decode(), "config": lib.openblas_get_config().decode(),
           "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", ""), "lib": a.lib,
           "min_time": a.min_time, "repeats": a.repeats, "shapes": {}}
    todo = [a.shape] if a.shape else names
    for name in todo:
        ops = [Product(lib, *s, np) for s in shapes if name in (s[0], "token")]
        for o in ops:
            o.check(np)
        ns, per = time_ops(ops, a.min_time, a.repeats)
        nbytes = sum(4 * o.k * o.n for o in ops)
        out["shapes"][name] = {"ns": ns, "ns_all": per, "gb_s": nbytes / ns, "bytes": nbytes}
        if not a.json:
            print(f"{a.model}/{name:20s} {ns:12.0f} ns/op {nbytes / ns:7.1f} GB/s", flush=True)
    if a.json:
        print(json.dumps(out))
    else:
        print(f"OpenBLAS {out['config']}, core {out['corename']}, {out['threads']} thread(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_args()))
