#!/usr/bin/python3
"""Turns the raw outputs of bench/compare.sh into a Markdown table and a JSON summary.

    /usr/bin/python3 bench/report.py bench/results/raw-DATE [--md OUT.md] [--json OUT.json]

Every figure is a median over the interleaved rounds (each round's figure is
itself a median over repeats). A ratio is sparselm / other: the ratio of the
medians, with the range of the per-round ratios (both measured in the same
round, seconds apart) in brackets.

The OpenBLAS columns are those of the core types measured (env.txt's
coretypes line, else the files and records present: raw directories from
before that line measured default and SkylakeX), "default" first. Parts that
compare.sh could not run are listed under "Not measured" (skipped.txt).
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


def coretypes_of(raw, env):
    """The OpenBLAS core types measured in raw, "default" first, then in the order compare.sh ran them."""
    m = re.search(r"^coretypes: (.*)$", env, re.M)
    found = m.group(1).split() if m else []
    for f in sorted(os.listdir(raw)) if os.path.isdir(raw) else []:
        g = re.fullmatch(r"gemm-numpy-(.+)\.jsonl", f)
        if g:
            found.append(g.group(1))
    found += [r["coretype"] for r in jsonl(os.path.join(raw, "lm.jsonl")) if r.get("coretype")]
    if not m and not found:
        found = ["default", "SkylakeX"]  # before the coretypes line, compare.sh always meant these two
    out = ["default"]
    for ct in found:
        if ct not in out:
            out.append(ct)
    return out


def fma_unit(raw, env):
    """The FMA loop's description: env.txt's fmapeak line, else the unit named by the benchmark lines."""
    m = re.search(r"^fmapeak: (.*)$", env, re.M)
    if m:
        return m.group(1)
    text = read(os.path.join(raw, "fmapeak.txt"))
    u = re.search(r"^BenchmarkFMAPeak/(\S+?)-\d+\s", text, re.M)
    if u:
        return u.group(1)
    if re.search(r"^BenchmarkFMAPeak-\d+\s", text, re.M):
        return "AVX-512: 16 chains × 16 float32 lanes, 512 flop/iteration"  # the only loop before the unit was named
    return "none"


def skipped(raw):
    """(label, why) of each part compare.sh did not measure, in order, without repeats."""
    out = []
    for line in read(os.path.join(raw, "skipped.txt")).splitlines():
        label, _, why = line.partition("\t")
        if label and (label, why) not in out:
            out.append((label, why))
    return out


def num(x, spec):
    """x formatted by spec, or – when it was not measured (NaN)."""
    return format(x, spec) if x == x else "–"


def pct(x, peak):
    return f"{100 * x / peak:.0f}%" if peak == peak and x == x else "–"  # x == x: not NaN


def key(ct):
    """The JSON key part of a core type: default, skylakex, haswell, ..."""
    return ct.lower()


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
    coretypes = coretypes_of(raw, env)
    forced = coretypes[1:]
    cores = {}
    for ct in coretypes:
        m = re.search(r"Core: (\S+)", read(os.path.join(raw, f"openblas-core-{ct}.txt")))
        cores[ct] = m.group(1) if m else "?"
    md.append(f"OpenBLAS core: {cores['default']} as configured (OPENBLAS_CORETYPE unset)"
              + "".join(f", {cores[ct]} with OPENBLAS_CORETYPE={ct}" for ct in forced))
    preset_env = read(os.path.join(raw, "preset_env.txt")).strip()
    md.append("BLAS/OpenMP variables set by the caller (cleared for the runs): " + (preset_env.replace("\n", ", ") or "none"))
    tc = read(os.path.join(raw, "torch-config.txt"))
    m = re.search(r"BLAS_INFO=(\w+)", tc)
    md.append(f"torch {tc.splitlines()[0] if tc else '?'}: BLAS_INFO={m.group(1) if m else '?'} "
              "(links libblas.so.3, here OpenBLAS), ATen parallel backend "
              + (re.search(r"ATen parallel backend: (.*)", tc).group(1) if "ATen parallel backend" in tc else "?"))
    md += ["```", ""]
    unit = fma_unit(raw, env)
    out.update(env=env, openblas_core=cores, coretypes=coretypes, fma_unit=unit, preset_env=preset_env,
               not_measured=[{"part": l, "why": w} for l, w in skipped(raw)])

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
    npy = {ct: collections.defaultdict(list) for ct in coretypes}
    npy_paired = {ct: collections.defaultdict(list) for ct in coretypes}
    arch = {}
    for ct in npy:
        for rec in jsonl(os.path.join(raw, f"gemm-numpy-{ct}.jsonl")):
            for b in rec.get("blas", []):
                if b.get("internal_api") == "openblas":
                    arch[ct] = b.get("architecture")
            for name, v in rec["shapes"].items():
                npy[ct][name].append(v["gflops"])
                if "of_peak" in v:
                    npy_paired[ct][name].append(100 * v["of_peak"])
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
    def label(ct):
        return "default" if ct == "default" else ct

    if go:
        peak_line = (f"fp32 peak of one core, measured: **{peak:.1f} GFLOP/s** (bench/fmapeak, {unit}; max of {len(peak_runs)} runs)"
                     if peak_runs else f"fp32 peak of one core: not measured (bench/fmapeak: {unit})")
        # Per core type: its GFLOP/s, its fractions of the peak, and sparselm's ratios to it.
        head = "| shape (op(A)·op(B), m×n×k) | sparselm | % of peak | % of the shape's peak | **% of peak, paired** | " + " | ".join(
            f"OpenBLAS {label(ct)} | {label(ct)}: % of the shape's peak | {label(ct)}: % of peak, paired | sparselm / {label(ct)} | sparselm / {label(ct)}, paired"
            for ct in coretypes) + " |"
        md += ["## (a) GEMM, one thread (GFLOP/s)", "",
               peak_line + "".join(f"; sparselm's {k} micro-kernel on L1-resident panels {max(v):.1f} (max of {len(v)})" for k, v in mk.items() if k != "generic") + ".",
               "OpenBLAS kernels: " + ", ".join(f"{arch.get(ct, '?')} ({'as configured' if ct == 'default' else f'OPENBLAS_CORETYPE={ct}'})" for ct in coretypes) + ".", "",
               "Peak per round (max of its FMA runs, measured just before its GEMMs): " + (", ".join(f"{p:.1f}" for p in round_peaks) + " GFLOP/s." if round_peaks else "–."), "",
               "% of peak: over the overall peak above. % of the shape's peak: over the peak measured just before the shape in "
               "each round (median and range over rounds). **% of peak, paired**: each timed run over the FMA loop run a few "
               "milliseconds before or after it (tensor's BenchmarkGemmOfPeak; bench/gemm.py --peak-cmd), median of the "
               "pairs per round, then median and range over rounds; the figure least moved by the drift of this machine's speed. "
               "The fraction of each round's peak is in the JSON.", "",
               "sparselm / X, paired: the ratio of the two paired fractions of peak, round by round (each implementation over "
               "the FMA speed of its own moment), median and range over rounds.", "",
               head, "|---|---:|---:|---:|---:|" + "---:|---:|---:|---:|---:|" * len(coretypes)]
        out["gemm"] = {}
        for name in go:
            g = go[name]
            pr, vr = pct_round(g)
            psh, vsh = pct_shape(name, g)
            row = f"| {name} | {num(med(g), '.1f')} | {pct(med(g), peak)} | {psh} | **{pct_paired(paired.get(name))}** |"
            rec = {"sparselm": med(g), "pct_peak": 100 * med(g) / peak, "pct_round_peak": vr, "pct_shape_peak": vsh,
                   "pct_peak_paired": paired.get(name), "rounds": {"sparselm": g}}
            for ct in coretypes:
                o, k = npy[ct].get(name, []), key(ct)
                rc, vc = ratio_cell(g, o)
                po, vpo = pct_shape(name, o)
                if vpo is None:
                    po, vpo = pct_round(o)
                rp, vp = ratio_cell(paired.get(name, []), npy_paired[ct].get(name, []))
                row += f" {num(med(o), '.1f')} | {po} | {pct_paired(npy_paired[ct].get(name))} | {rc} | {rp} |"
                rec.update({f"openblas_{k}": med(o), f"openblas_{k}_pct_peak": vpo, f"openblas_{k}_pct_peak_paired": npy_paired[ct].get(name),
                            f"ratio_{k}": vc, f"ratio_{k}_paired": vp})
                rec["rounds"][f"openblas_{k}"] = o
            md.append(row)
            out["gemm"][name] = rec
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
               "| cell | batch | threads | sparselm | " + " | ".join(f"torch, OpenBLAS {label(ct)}" for ct in coretypes)
               + " | sparselm / best torch | " + " | ".join(f"sparselm / {label(ct)}" for ct in coretypes) + " | sparselm allocs/step | sparselm ms/step |",
               "|---|---:|---:|---:|" + "---:|" * (2 * len(coretypes) + 3)]
        for k in keys:
            cols = groups[k]
            # Rounds in which every column that has any figure has one: a
            # run that failed in one round drops that round from the ratios.
            rounds = sorted(set.intersection(*[set(v) for v in cols.values()])) if cols else []

            def series(col):
                return [cols[col][r]["tokens_per_s"] for r in rounds] if col in cols else []

            g = series("sparselm")
            torch = {ct: series(f"torch-{ct}") for ct in coretypes}
            present = [t for t in torch.values() if t]
            best = [max(xs) for xs in zip(*present)] if present else []
            rb, vb = ratio_cell(g, best)
            ratios = {ct: ratio_cell(g, torch[ct]) for ct in coretypes}
            allocs = med([cols["sparselm"][r]["allocs_per_step"] for r in rounds]) if "sparselm" in cols else float("nan")
            ms = med([cols["sparselm"][r]["ms_per_step"] for r in rounds]) if "sparselm" in cols else float("nan")
            md.append(f"| {k[2]} | {k[1]} | {k[3]} | {num(med(g), '.0f')} | " + " | ".join(num(med(torch[ct]), ".0f") for ct in coretypes)
                      + f" | **{rb}** | " + " | ".join(ratios[ct][0] for ct in coretypes) + f" | {num(allocs, '.1f')} | {num(ms, '.1f')} |")
            rec = {"mode": k[0], "batch": k[1], "cell": k[2], "threads": k[3], "rounds": rounds, "sparselm": med(g)}
            rec.update({f"torch_{key(ct)}": med(torch[ct]) for ct in coretypes})
            rec["ratio_best"] = vb
            rec.update({f"ratio_{key(ct)}": ratios[ct][1] for ct in coretypes})
            rec.update(allocs_per_step=allocs, ms_per_step=ms, series={"sparselm": g, **{f"torch_{key(ct)}": torch[ct] for ct in coretypes}})
            out["lm"].append(rec)
        md.append("")
    md += ["Ratios are sparselm / other (ratio of the medians; per-round range in brackets). "
           "Bars of issue 3 (AVX-512): GEMM ≥ 60% of peak and ≥ 0.8× OpenBLAS SkylakeX; training ≥ 1.0× the faster torch setting at 2 threads. "
           "Issue 13 (AVX2-only CPUs): every training product ≥ 0.9× OpenBLAS and ≥ 70% of the FMA peak measured beside it.", ""]
    gaps = skipped(raw)
    if gaps:
        md += ["## Not measured", "", "Parts compare.sh could not run on this machine, and why (raw outputs of failures in failures.txt):", ""]
        md += [f"- {l}: {w}" for l, w in gaps] + [""]

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
