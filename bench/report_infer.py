#!/usr/bin/python3
"""Turns the raw outputs of bench/compare_infer.sh into a Markdown table and a JSON summary.

    /usr/bin/python3 bench/report_infer.py bench/results/raw-infer-DATE [--md OUT.md] [--json OUT.json]

Every figure is a median over the interleaved rounds (each round's figure is
itself a median over repeats). A ratio is a ratio of speeds (tokens/s, or
1/ns for the kernels), sparselm over the other: the ratio of the medians,
with the range of the per-round ratios in brackets (both sides measured in
the same round).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import statistics
import sys

from report import jsonl, med, read, skipped  # bench/report.py: the raw-file readers of compare.sh's report


def ratio(num, den):
    """(cell text, median ratio, per-round ratios) of two {round: value} series, over their common rounds."""
    rounds = sorted(set(num) & set(den))
    if not rounds:
        return "–", None, []
    per = [num[r] / den[r] for r in rounds]
    r = med([num[k] for k in rounds]) / med([den[k] for k in rounds])
    text = f"{r:.2f}×" + (f" [{min(per):.2f}–{max(per):.2f}]" if len(per) > 1 else "")
    return text, r, per


def best(series_list):
    """The per-round maximum of several {round: value} series (rounds that all have)."""
    series_list = [s for s in series_list if s]
    if not series_list:
        return {}
    rounds = set.intersection(*[set(s) for s in series_list])
    return {r: max(s[r] for s in series_list) for r in rounds}


def bar(name, value, threshold):
    """One bar of the issue: (name, {value, threshold, met})."""
    return name, {"value": value, "threshold": threshold, "met": None if value is None else value >= threshold}


def verdict(b):
    if b["value"] is None:
        return "not measured"
    return f"{'met' if b['met'] else 'NOT met'} ({b['value']:.2f}× vs ≥ {b['threshold']}×)"


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
    md = ["# sparselm inference engines vs PyTorch dense batch-1 and OpenBLAS sgemv", ""]

    env = read(os.path.join(raw, "env.txt")).strip()
    coretypes = (re.search(r"^coretypes: (.*)$", env, re.M) or [None, "default"])[1].split()
    cores = {}
    for ct in coretypes:
        lines = read(os.path.join(raw, f"openblas-core-{ct}.txt")).splitlines()
        cores[ct] = {"corename": lines[0] if lines else "?", "config": lines[1] if len(lines) > 1 else "?"}
    md += ["```", env]
    for ct, c in cores.items():
        md.append(f"OpenBLAS {ct}{' (OPENBLAS_CORETYPE unset)' if ct == 'default' else f' (OPENBLAS_CORETYPE={ct})'}: core {c['corename']}; {c['config']}")
    preset_env = read(os.path.join(raw, "preset_env.txt")).strip()
    md.append("BLAS/OpenMP variables set by the caller (cleared for the runs): " + (preset_env.replace("\n", ", ") or "none"))
    tc = read(os.path.join(raw, "torch-config.txt"))
    m = re.search(r"BLAS_INFO=(\w+)", tc)
    md.append(f"torch {tc.splitlines()[0] if tc else '?'}: BLAS_INFO={m.group(1) if m else '?'} (libblas.so.3, here OpenBLAS)")
    md += ["```", ""]
    out.update(env=env, openblas=cores, preset_env=preset_env)
    bars = []

    # ------------------------------------------------------------ (b) dense kernel vs sgemv
    # Go: one line per run, -test.count runs per shape and round: the round's figure is their median.
    go_runs = collections.defaultdict(lambda: collections.defaultdict(list))  # (model, shape) → round → [ns]
    for r, model, shape, ns in re.findall(r"^round=(\d+) BenchmarkPaperGEMV/(\w+)/(\w+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op",
                                          read(os.path.join(raw, "gemv-go.txt")), flags=re.M):
        go_runs[(model, shape)][int(r)].append(float(ns))
    go = {k: {r: med(v) for r, v in rs.items()} for k, rs in go_runs.items()}
    blas = collections.defaultdict(dict)  # (model, shape, coretype) → round → ns
    nbytes = {}
    for rec in jsonl(os.path.join(raw, "gemv-openblas.jsonl")):
        for shape, v in rec["shapes"].items():
            blas[(rec["model"], shape, rec["coretype"])][rec["round"]] = v["ns"]
            nbytes[(rec["model"], shape)] = v["bytes"]
    models = list(dict.fromkeys(k[0] for k in go))
    out["gemv"] = {}
    for model in models:
        shapes = [k[1] for k in go if k[0] == model]
        products = [s for s in shapes if s != "token"]
        # Σ of the products timed alone, round by round (each product's matrix stays hot in cache between
        # its calls when it fits; "token" runs them in turn, streaming every matrix from memory).
        rows = shapes[:]
        go["sum", model] = {r: sum(go[(model, s)][r] for s in products) for r in set.intersection(*[set(go[(model, s)]) for s in products])}
        for ct in coretypes:
            have = [set(blas[(model, s, ct)]) for s in products]
            blas[(model, "sum", ct)] = {r: sum(blas[(model, s, ct)][r] for s in products) for r in set.intersection(*have)} if have else {}
        nbytes[(model, "sum")] = sum(nbytes.get((model, s), 0) for s in products)
        rows.insert(len(products), "sum")
        multi = len(coretypes) > 1
        head = "| product (K×N) | MB | sparselm ns | sparselm GB/s | " + " | ".join(f"OpenBLAS {ct} ns | OpenBLAS {ct} GB/s | sparselm / {ct}" for ct in coretypes)
        head += " | sparselm / best OpenBLAS |" if multi else " |"
        md += [f"## (b) Dense kernel vs OpenBLAS sgemv, model {model}, batch 1, one thread", "",
               "sparselm: tensor.VecMat (layers, y += x·W, W [K×N]; decoder, logits = h·Embᵀ on the engine's transposed copy Embᵀ [E×V]; OpenBLAS gets the same buffer), "
               "the Dense engine's kernels (`go test -bench '^BenchmarkPaperGEMV$' ./tensor`); OpenBLAS: cblas_sgemv on the same "
               "row-major buffers through ctypes (bench/sgemv.py). ns per product; sum = the products timed alone, added; "
               "token = every product in turn, which is what one token of the Dense engine streams from memory. "
               "Ratio = OpenBLAS ns / sparselm ns (speed ratio), per-round range in brackets.", "",
               head, "|---|---:|---:|---:|" + "---:|---:|---:|" * len(coretypes) + ("---:|" if multi else "")]
        out["gemv"][model] = {}
        for s in rows:
            g = go.get(("sum", model) if s == "sum" else (model, s), {})
            mb = nbytes.get((model, s), 0) / 1e6
            gb = nbytes.get((model, s), 0) / med(list(g.values())) if g else float("nan")
            cells = [f"**{s}**" if s in ("token", "sum") else s, f"{mb:.1f}", f"{med(list(g.values())):.0f}", f"{gb:.1f}"]
            entry = {"sparselm_ns": med(list(g.values())), "sparselm_rounds": g, "bytes": nbytes.get((model, s))}
            inv_g = {r: 1 / v for r, v in g.items()}
            for ct in coretypes:
                b = blas.get((model, s, ct), {})
                text, rv, per = ratio(inv_g, {r: 1 / v for r, v in b.items()})
                cells += [f"{med(list(b.values())):.0f}", f"{nbytes.get((model, s), 0) / med(list(b.values())):.1f}" if b else "–", text]
                entry[f"openblas_{ct}_ns"] = med(list(b.values()))
                entry[f"openblas_{ct}_rounds"] = b
                entry[f"ratio_{ct}"], entry[f"ratio_{ct}_rounds"] = rv, per
            bb = best([{r: 1 / v for r, v in blas.get((model, s, ct), {}).items()} for ct in coretypes])
            text, rv, per = ratio(inv_g, bb)
            if multi:
                cells.append(text)
            entry["ratio_best"], entry["ratio_best_rounds"] = rv, per
            md.append("| " + " | ".join(cells) + " |")
            out["gemv"][model][s] = entry
        md.append("")
        tok = out["gemv"][model].get("token", {})
        bars.append(bar(f"dense kernel ≥ 0.9× OpenBLAS sgemv, model {model}, whole token", tok.get("ratio_best"), 0.9))
        worst = [(out["gemv"][model][s]["ratio_best"], s) for s in products if out["gemv"][model][s]["ratio_best"] is not None]
        if worst:
            w = min(worst)
            bars.append(bar(f"dense kernel ≥ 0.9× OpenBLAS sgemv, model {model}, its slowest product alone ({w[1]})", w[0], 0.9))

    # ------------------------------------------------------------ (a, c) tokens/s
    torch = collections.defaultdict(dict)  # (vocab, cell, threads, coretype) → round → record
    for rec in jsonl(os.path.join(raw, "torch.jsonl")):
        torch[(rec["paper_vocab"], rec["cell"], rec["threads"], rec["coretype"])][rec["round"]] = rec
    infer = collections.defaultdict(dict)  # (vocab, sparsity, active) → round → point
    kernel = {}
    for rec in jsonl(os.path.join(raw, "infer.jsonl")):
        V = rec["model"]["vocab"]
        kernel[V] = rec.get("kernel")
        for p in rec["points"]:
            infer[(V, p["sparsity"], p["active"])][rec["round"]] = p
    infer_lstm = collections.defaultdict(dict)  # (vocab, sparsity) → round → point
    for rec in jsonl(os.path.join(raw, "infer-lstm.jsonl")):
        for p in rec["points"]:
            infer_lstm[(rec["model"]["vocab"], p["sparsity"])][rec["round"]] = p
    vocabs = sorted({k[0] for k in torch} | {k[0] for k in infer} | {k[0] for k in infer_lstm})
    out["torch"], out["engines"], out["engines_lstm"] = [], [], []

    def tps(recs, part):
        return {r: v[part]["tokens_per_s"] for r, v in recs.items()}

    for V in vocabs:
        tkeys = sorted(k for k in torch if k[0] == V)
        if tkeys:
            first = next(iter(torch[tkeys[0]].values()))
            md += [f"## (a) PyTorch dense batch-1 inference, V = {V}", "",
                   f"Model: layers {first['hidden']}, E = {first['embed']}, V = {first['vocab']}; torch {first['torch']} under "
                   "torch.inference_mode (bench/infer_torch.py): the EGRU step in torch ops (products: "
                   f"{first['matvec'] if first['cell'] == 'egru' else 'addmv'}), the LSTM as torch.nn.LSTM per layer; "
                   "whole = embedding, layers and the tied decoder; layers = without the decoder.", "",
                   "| cell | threads | OpenBLAS | whole tokens/s | whole ms/token | layers tokens/s | active (measured) |",
                   "|---|---:|---|---:|---:|---:|---:|"]
            for k in tkeys:
                recs = torch[k]
                w, l = tps(recs, "whole"), tps(recs, "layers")
                act = [v.get("active") for v in recs.values() if v.get("active")]
                act_s = "/".join(f"{med([x[i] for x in act]):.2f}" for i in range(len(act[0]))) if act else "–"
                md.append(f"| {k[1]} | {k[2]} | {k[3]} | {med(list(w.values())):.1f} | {1e3 / med(list(w.values())):.2f} | {med(list(l.values())):.1f} | {act_s} |")
                out["torch"].append({"vocab": V, "cell": k[1], "threads": k[2], "coretype": k[3], "whole_tokens_per_s": med(list(w.values())),
                                     "layers_tokens_per_s": med(list(l.values())), "whole_rounds": w, "layers_rounds": l})
            md.append("")
        # The faster torch setting (threads × OpenBLAS core type) in each round, per cell.
        torch_best = {cell: {part: best([tps(torch[k], part) for k in tkeys if k[1] == cell]) for part in ("whole", "layers")}
                      for cell in ("egru", "lstm")}
        ikeys = sorted(k for k in infer if k[0] == V)
        if not ikeys:
            continue
        md += [f"## (c) sparselm engines (`sparselm bench infer --paper --vocab {V}`) beside PyTorch, tokens/s at batch 1", "",
               f"sparselm: one thread, kernel {kernel.get(V)}; random weights magnitude-pruned per matrix, ϑ set so that the target "
               "fraction of units fires. best torch = the faster of its thread counts (and OpenBLAS settings) in each round, the "
               "same model (EGRU, dense: PyTorch computes every product whatever the zeros); the LSTM column is torch's LSTM of "
               "the same widths. Ratios are speed ratios, per-round range in brackets. counted = dense MACs / executed MACs.", "",
               "| weight sp. | active target | measured | event tok/s | dense tok/s | best torch EGRU tok/s | **event / dense** | counted | "
               "**event / best torch EGRU** | dense / best torch EGRU | event / best torch LSTM | layers: event tok/s | layers: dense tok/s | "
               "**layers: event / dense** | layers: counted | layers: event / best torch EGRU |",
               "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for k in ikeys:
            pts = infer[k]
            ev, de = tps(pts, "event"), tps(pts, "dense")
            evl, del_ = tps(pts, "event_layers"), tps(pts, "dense_layers")
            p0 = next(iter(pts.values()))
            meas = "/".join(f"{med([p['executed']['active'][i] for p in pts.values()]):.2f}" for i in range(len(p0["executed"]["active"])))
            r_ed = ratio(ev, de)
            r_et = ratio(ev, torch_best["egru"]["whole"])
            r_dt = ratio(de, torch_best["egru"]["whole"])
            r_el = ratio(ev, torch_best["lstm"]["whole"])
            r_edl = ratio(evl, del_)
            r_etl = ratio(evl, torch_best["egru"]["layers"])
            red, red_l = med([p["reduction"] for p in pts.values()]), med([p["layer_reduction"] for p in pts.values()])
            tb = torch_best["egru"]["whole"]
            md.append(f"| {med([p['weight_sparsity'] for p in pts.values()]):.3f} | {k[2]:.2f} | {meas} | {med(list(ev.values())):.0f} | "
                      f"{med(list(de.values())):.0f} | {med(list(tb.values())) if tb else float('nan'):.1f} | **{r_ed[0]}** | {red:.2f}× | "
                      f"**{r_et[0]}** | {r_dt[0]} | {r_el[0]} | {med(list(evl.values())):.0f} | {med(list(del_.values())):.0f} | "
                      f"**{r_edl[0]}** | {red_l:.2f}× | {r_etl[0]} |")
            out["engines"].append({"vocab": V, "sparsity": k[1], "active": k[2], "event_tokens_per_s": med(list(ev.values())),
                                   "dense_tokens_per_s": med(list(de.values())), "best_torch_egru_tokens_per_s": med(list(tb.values())) if tb else None,
                                   "event_over_dense": r_ed[1], "event_over_best_torch_egru": r_et[1], "event_over_best_torch_egru_rounds": r_et[2],
                                   "dense_over_best_torch_egru": r_dt[1], "event_over_best_torch_lstm": r_el[1],
                                   "layers_event_over_dense": r_edl[1], "layers_event_over_best_torch_egru": r_etl[1],
                                   "reduction": red, "layer_reduction": red_l,
                                   "rounds": {"event": ev, "dense": de, "event_layers": evl, "dense_layers": del_}})
            if abs(k[1] - 0.9) < 1e-9 and abs(k[2] - 0.2) < 1e-9:
                bars += [bar(f"V {V}, 90% / 20%: layers, event ≥ 12× dense", r_edl[1], 12),
                         bar(f"V {V}, 90% / 20%: whole model, event ≥ 8× dense", r_ed[1], 8),
                         bar(f"V {V}, 90% / 20%: whole model, event ≥ 10× best torch EGRU", r_et[1], 10)]
        md.append("")
        # The paper-shape LSTM on sparselm's engines (every unit fires: only
        # the weight sparsity saves work) beside torch's LSTM.
        lkeys = sorted(k for k in infer_lstm if k[0] == V)
        if lkeys:
            md += [f"## (c) sparselm engines on the paper-shape LSTM (`bench infer --paper --cell lstm --vocab {V}`), tokens/s at batch 1", "",
                   "Every LSTM unit is non-zero at every step, so the event engine saves only the pruned weights. best torch LSTM = "
                   "torch.nn.LSTM per layer, the faster of its thread counts in each round.", "",
                   "| weight sp. | event tok/s | dense tok/s | **event / dense** | counted | event / best torch LSTM | dense / best torch LSTM | "
                   "layers: event / dense | layers: counted |",
                   "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
            for k in lkeys:
                pts = infer_lstm[k]
                ev, de = tps(pts, "event"), tps(pts, "dense")
                evl, del_ = tps(pts, "event_layers"), tps(pts, "dense_layers")
                red, red_l = med([p["reduction"] for p in pts.values()]), med([p["layer_reduction"] for p in pts.values()])
                r_ed, r_el, r_dl, r_edl = ratio(ev, de), ratio(ev, torch_best["lstm"]["whole"]), ratio(de, torch_best["lstm"]["whole"]), ratio(evl, del_)
                md.append(f"| {med([p['weight_sparsity'] for p in pts.values()]):.3f} | {med(list(ev.values())):.0f} | {med(list(de.values())):.0f} | "
                          f"**{r_ed[0]}** | {red:.2f}× | {r_el[0]} | {r_dl[0]} | {r_edl[0]} | {red_l:.2f}× |")
                out["engines_lstm"].append({"vocab": V, "sparsity": k[1], "event_tokens_per_s": med(list(ev.values())),
                                            "dense_tokens_per_s": med(list(de.values())), "event_over_dense": r_ed[1],
                                            "event_over_best_torch_lstm": r_el[1], "dense_over_best_torch_lstm": r_dl[1],
                                            "layers_event_over_dense": r_edl[1], "reduction": red, "layer_reduction": red_l})
            md.append("")

    quick = "QUICK" in env
    if bars:
        md += ["## Bars of issue 11 (medians over rounds)" + (": QUICK run, not meaningful" if quick else ""), ""]
        md += [f"- {name}: {verdict(b)}" for name, b in bars] + [""]
    if quick:
        md += ["QUICK run: torch and sgemv ran tiny shapes, sparselm the paper shape; the ratios across them mean nothing.", ""]
    out["bars"] = dict(bars)

    gaps = skipped(raw)
    out["not_measured"] = [{"part": l, "why": w} for l, w in gaps]
    if gaps:
        md += ["## Not measured", "", "Parts compare_infer.sh could not run on this machine, and why (raw outputs of failures in failures.txt):", ""]
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
