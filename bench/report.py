#!/usr/bin/python3
"""Turns the raw outputs of bench/compare.sh into a Markdown table and a JSON summary.

    /usr/bin/python3 bench/report.py bench/results/raw-DATE [--md OUT.md] [--json OUT.json]

Every figure is a median over the interleaved rounds (each round's figure is
itself a median over repeats). A ratio is sparselm / other: the ratio of the
medians, with the range of the per-round ratios (both measured in the same
round, seconds apart) in brackets.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import statistics
import sys


def read(path):
    if not os.path.exists(path):
        return ""
    with open(path) as f:
        return f.read()


def jsonl(path):
    return [json.loads(l) for l in read(path).splitlines() if l.strip().startswith("{")]


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def ratio_cell(num, den):
    """'1.23× [1.10–1.31]' from per-round lists num, den (same rounds)."""
    if not num or not den:
        return "–", None
    r = med(num) / med(den)
    per = [a / b for a, b in zip(num, den)]
    if len(per) > 1:
        return f"{r:.2f}× [{min(per):.2f}–{max(per):.2f}]", r
    return f"{r:.2f}×", r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("raw")
    ap.add_argument("--md")
    ap.add_argument("--json")
    a = ap.parse_args()
    raw = a.raw
    # A path relative to the repository root, so the JSON names no machine path.
    rel = os.path.relpath(raw)
    out = {"raw": raw if rel.startswith("..") else rel}
    md = ["# sparselm vs numpy/OpenBLAS and PyTorch", ""]

    env = read(os.path.join(raw, "env.txt")).strip()
    md += ["```", env]
    cores = {}
    for ct in ("default", "SkylakeX"):
        m = re.search(r"Core: (\S+)", read(os.path.join(raw, f"openblas-core-{ct}.txt")))
        cores[ct] = m.group(1) if m else "?"
    md.append(f"OpenBLAS core: {cores['default']} as configured (OPENBLAS_CORETYPE unset), {cores['SkylakeX']} with OPENBLAS_CORETYPE=SkylakeX")
    preset_env = read(os.path.join(raw, "preset_env.txt")).strip()
    md.append("BLAS/OpenMP variables set by the caller (cleared for the runs): " + (preset_env.replace("\n", ", ") or "none"))
    tc = read(os.path.join(raw, "torch-config.txt"))
    m = re.search(r"BLAS_INFO=(\w+)", tc)
    md.append(f"torch {tc.splitlines()[0] if tc else '?'}: BLAS_INFO={m.group(1) if m else '?'} "
              "(links libblas.so.3, here OpenBLAS), ATen parallel backend "
              + (re.search(r"ATen parallel backend: (.*)", tc).group(1) if "ATen parallel backend" in tc else "?"))
    md += ["```", ""]
    out.update(env=env, openblas_core=cores, preset_env=preset_env)

    # ------------------------------------------------------------ (a) GEMM
    peak_runs = [float(x) for x in re.findall(r"BenchmarkFMAPeak\S*\s.*?([\d.]+) GFLOP/s", read(os.path.join(raw, "fmapeak.txt")))]
    peak = max(peak_runs) if peak_runs else float("nan")
    mk = collections.defaultdict(list)
    for name, g in re.findall(r"(\w+)\s+\d+x\d+ kc=\d+: ([\d.]+) GFLOP/s", read(os.path.join(raw, "microkernel.txt"))):
        mk[name].append(float(g))
    # One `go test` run per round (it starts with a "goos:" line), each
    # shape repeated -test.count times in it: the round's figure is their
    # median, as bench/gemm.py takes the median of its repeats.
    go = collections.defaultdict(list)
    for chunk in re.split(r"^goos:", read(os.path.join(raw, "gemm-go.txt")), flags=re.M):
        runs = collections.defaultdict(list)
        for name, g in re.findall(r"BenchmarkGemm/(\S+?)-\d+\s.*?([\d.]+) GFLOP/s", chunk):
            runs[name].append(float(g))
        for name, v in runs.items():
            go[name].append(med(v))
    # BenchmarkGemmOfPeak: each product over the FMA peak measured in the
    # same iteration, one line per shape and round (median of its pairs).
    paired = collections.defaultdict(list)
    for r, name, f in re.findall(r"^round=(\d+) BenchmarkGemmOfPeak/(\S+?)-\d+\s.*?([\d.]+) %peak", read(os.path.join(raw, "gemm-go-paired.txt")), flags=re.M):
        paired[name].append(float(f))
    npy_paired = collections.defaultdict(list)
    npy = {ct: collections.defaultdict(list) for ct in ("default", "SkylakeX")}
    arch = {}
    for ct in npy:
        for rec in jsonl(os.path.join(raw, f"gemm-numpy-{ct}.jsonl")):
            for b in rec.get("blas", []):
                if b.get("internal_api") == "openblas":
                    arch[ct] = b.get("architecture")
            for name, v in rec["shapes"].items():
                npy[ct][name].append(v["gflops"])
                if ct == "SkylakeX" and "of_peak" in v:
                    npy_paired[name].append(100 * v["of_peak"])
    out["peak"] = {"fma_loop_gflops": peak, "fma_loop_runs": peak_runs, "microkernel_l1_gflops": {k: max(v) for k, v in mk.items()}}
    # The CPU share a virtual machine gets drifts over minutes, so each
    # round's GEMM figures are also divided by the peak measured at the start
    # of the same round (max of its FMA runs), and the median of those
    # per-round fractions is reported beside the fraction of the overall peak.
    rounds = max((len(v) for v in go.values()), default=0)
    round_peaks = []
    if rounds and len(peak_runs) % rounds == 0:
        per = len(peak_runs) // rounds
        round_peaks = [max(peak_runs[i * per:(i + 1) * per]) for i in range(rounds)]
    out["peak"]["round_peaks"] = round_peaks

    # The peak measured just before each shape in each round (max of its
    # FMA runs), when compare.sh recorded it.
    shape_peaks = collections.defaultdict(dict)
    for name, r, g in re.findall(r"^(\S+) round=(\d+) BenchmarkFMAPeak\S*\s.*?([\d.]+) GFLOP/s", read(os.path.join(raw, "fmapeak-shapes.txt")), flags=re.M):
        shape_peaks[name][int(r)] = max(shape_peaks[name].get(int(r), 0.0), float(g))

    def pct_shape(name, g):
        p = [shape_peaks[name][r] for r in sorted(shape_peaks.get(name, {}))]
        if len(p) != len(g) or not g:
            return "–", None
        f = [100 * x / q for x, q in zip(g, p)]
        return f"{med(f):.0f}% [{min(f):.0f}–{max(f):.0f}]", f

    def pct_round(g):
        if len(g) != len(round_peaks) or not g:
            return "–", None
        f = [100 * x / p for x, p in zip(g, round_peaks)]
        return f"{med(f):.0f}% [{min(f):.0f}–{max(f):.0f}]", f

    def pct_paired(f):
        if not f:
            return "–"
        return f"{med(f):.0f}% [{min(f):.0f}–{max(f):.0f}]"
    if go:
        md += ["## (a) GEMM, one thread (GFLOP/s)", "",
               f"fp32 peak of one core, measured: **{peak:.1f} GFLOP/s** (bench/fmapeak: 16 independent AVX-512 FMA chains, "
               f"max of {len(peak_runs)} runs)" + "".join(f"; sparselm's {k} micro-kernel on L1-resident panels {max(v):.1f} (max of {len(v)})" for k, v in mk.items() if k != "generic") + ".",
               f"OpenBLAS kernels: {arch.get('default', '?')} (as configured), {arch.get('SkylakeX', '?')} (OPENBLAS_CORETYPE=SkylakeX).", "",
               "Peak per round (max of its FMA runs, measured just before its GEMMs): " + ", ".join(f"{p:.1f}" for p in round_peaks) + " GFLOP/s.", "",
               "% of peak: over the overall peak above. % of the shape's peak: over the peak measured just before the shape in "
               "each round (median and range over rounds). **% of peak, paired**: each timed run over the FMA loop run a few "
               "milliseconds before or after it (tensor's BenchmarkGemmOfPeak; bench/gemm.py --peak-cmd), median of the "
               "pairs per round, then median and range over rounds; the figure least moved by the drift of this machine's speed. "
               "The fraction of each round's peak is in the JSON.", "",
               "sparselm / SkylakeX, paired: the ratio of the two paired fractions of peak, round by round (each implementation over "
               "the FMA speed of its own moment), median and range over rounds.", "",
               "| shape (op(A)·op(B), m×n×k) | sparselm | % of peak | % of the shape's peak | **% of peak, paired** | OpenBLAS default | OpenBLAS SkylakeX | SkylakeX: % of the shape's peak | SkylakeX: % of peak, paired | sparselm / default | sparselm / SkylakeX | sparselm / SkylakeX, paired |",
               "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        out["gemm"] = {}
        for name in go:
            g, d, s = go[name], npy["default"].get(name, []), npy["SkylakeX"].get(name, [])
            rd, vd = ratio_cell(g, d)
            rs, vs = ratio_cell(g, s)
            pr, vr = pct_round(g)
            psh, vsh = pct_shape(name, g)
            ps, vps = pct_shape(name, s)
            if vps is None:
                ps, vps = pct_round(s)
            rp, vp = ratio_cell(paired.get(name, []), npy_paired.get(name, []))
            md.append(f"| {name} | {med(g):.1f} | {100 * med(g) / peak:.0f}% | {psh} | **{pct_paired(paired.get(name))}** | {med(d):.1f} | {med(s):.1f} | {ps} | {pct_paired(npy_paired.get(name))} | {rd} | {rs} | {rp} |")
            out["gemm"][name] = {"sparselm": med(g), "pct_peak": 100 * med(g) / peak, "pct_round_peak": vr, "pct_shape_peak": vsh,
                                 "pct_peak_paired": paired.get(name), "openblas_skylakex_pct_peak_paired": npy_paired.get(name),
                                 "openblas_skylakex_pct_peak": vps, "openblas_default": med(d),
                                 "openblas_skylakex": med(s), "ratio_default": vd, "ratio_skylakex": vs, "ratio_skylakex_paired": vp,
                                 "rounds": {"sparselm": g, "openblas_default": d, "openblas_skylakex": s}}
        md.append("")

    # ------------------------------------------------------------ (b, c) language models
    recs = jsonl(os.path.join(raw, "lm.jsonl"))
    groups = collections.defaultdict(dict)  # (mode, batch, cell, threads) → column → {round: rec}
    for r in recs:
        col = "sparselm" if r["impl"] == "sparselm" else f"torch-{r['coretype']}"
        groups[(r["mode"], r["batch"], r["cell"], r["threads"])].setdefault(col, {})[r["round"]] = r
    out["lm"] = []
    for mode, title in (("train", "(b) Training"), ("eval", "(c) Evaluation (no dropout, no gradients)")):
        keys = sorted(k for k in groups if k[0] == mode)
        if not keys:
            continue
        first = next(iter(groups[keys[0]]["sparselm"].values())) if "sparselm" in groups[keys[0]] else None
        shape = f"layers {first['hidden']}, E = {first['embed']}, V = {first['vocab']}, BPTT {first['bptt']}" if first else ""
        md += [f"## {title} tokens/s", "", f"Model: {shape}. Median over rounds; the torch columns use Debian's PyTorch on OpenBLAS.", "",
               "| cell | batch | threads | sparselm | torch, OpenBLAS default | torch, OpenBLAS SkylakeX | sparselm / best torch | sparselm / default | sparselm / SkylakeX | sparselm allocs/step | sparselm ms/step |",
               "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for k in keys:
            cols = groups[k]
            rounds = sorted(set.intersection(*[set(v) for v in cols.values()])) if cols else []

            def series(col):
                return [cols[col][r]["tokens_per_s"] for r in rounds] if col in cols else []

            g, d, s = series("sparselm"), series("torch-default"), series("torch-SkylakeX")
            best = [max(x, y) for x, y in zip(d, s)] if d and s else (d or s)
            rb, vb = ratio_cell(g, best)
            rd, vd = ratio_cell(g, d)
            rs, vs = ratio_cell(g, s)
            allocs = med([cols["sparselm"][r]["allocs_per_step"] for r in rounds]) if "sparselm" in cols else float("nan")
            ms = med([cols["sparselm"][r]["ms_per_step"] for r in rounds]) if "sparselm" in cols else float("nan")
            md.append(f"| {k[2]} | {k[1]} | {k[3]} | {med(g):.0f} | {med(d):.0f} | {med(s):.0f} | **{rb}** | {rd} | {rs} | {allocs:.1f} | {ms:.1f} |")
            out["lm"].append({"mode": k[0], "batch": k[1], "cell": k[2], "threads": k[3], "rounds": rounds,
                              "sparselm": med(g), "torch_default": med(d), "torch_skylakex": med(s),
                              "ratio_best": vb, "ratio_default": vd, "ratio_skylakex": vs, "allocs_per_step": allocs,
                              "ms_per_step": ms, "series": {"sparselm": g, "torch_default": d, "torch_skylakex": s}})
        md.append("")
    md += ["Ratios are sparselm / other (ratio of the medians; per-round range in brackets). "
           "Bars of issue 3: GEMM ≥ 60% of peak and ≥ 0.8× OpenBLAS SkylakeX; training ≥ 1.0× the faster torch setting at 2 threads.", ""]

    text = "\n".join(md)
    if a.md:
        with open(a.md, "w") as f:
            f.write(text)
    else:
        print(text)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
