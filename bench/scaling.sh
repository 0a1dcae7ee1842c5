#!/usr/bin/env bash
# bench/scaling.sh: how much faster a training step runs on 2 threads than on
# 1 (issue 13's bar, 2 threads ≥ 1.8× 1 thread), measured so that the drift
# of a virtual machine's speed cancels: each round times 1 and 2 threads back
# to back (in alternating order), and the figure is the median of the rounds'
# own ratios. compare.sh times the two thread counts minutes apart, where this
# machine's speed moved by 30% between its rounds.
#
#   bash bench/scaling.sh                  # 8 rounds, LSTM and EGRU, small preset (~3 min)
#   ROUNDS=4 CELLS=egru bash bench/scaling.sh
#
# Knobs (environment): ROUNDS (8), CELLS ("lstm egru"), PRESET (small),
# THREADS ("1 2": the pair compared), STEPS (6), WARMUP (2), OUT
# (bench/results), SPARSELM_BIN (use this binary instead of building one).
# Writes $OUT/scaling-DATE.md and .jsonl (every timed run). Run it on an idle
# machine.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-8}
CELLS=${CELLS:-lstm egru}
PRESET=${PRESET:-small}
read -r T1 T2 <<<"${THREADS:-1 2}"
STEPS=${STEPS:-6}
WARMUP=${WARMUP:-2}
OUT=${OUT:-bench/results}
if [ "$ROUNDS" -lt 1 ] || [ -z "${T2:-}" ]; then
	echo "bench/scaling.sh: ROUNDS must be at least 1 and THREADS two counts (\"1 2\")" >&2
	exit 2
fi

BIN=${SPARSELM_BIN:-}
if [ -z "$BIN" ]; then
	BIN=$(mktemp -d)/sparselm
	go build -o "$BIN" ./cmd/sparselm
fi
mkdir -p "$OUT"
stamp=$(date -u +%Y%m%d-%H%M%S)
raw="$OUT/scaling-$stamp.jsonl"
md="$OUT/scaling-$stamp.md"
: >"$raw"

run() { # cell threads round
	"$BIN" bench train --preset "$PRESET" --model "$1" --threads "$2" --steps "$STEPS" \
		--warmup "$WARMUP" --repeats 1 --json |
		python3 -c 'import json,sys; r=json.load(sys.stdin); r["round"]=int(sys.argv[1]); print(json.dumps(r))' "$3" >>"$raw"
}

for r in $(seq 1 "$ROUNDS"); do
	for cell in $CELLS; do
		echo "round $r of $ROUNDS: $cell" >&2
		if [ $((r % 2)) -eq 1 ]; then
			run "$cell" "$T1" "$r"
			run "$cell" "$T2" "$r"
		else
			run "$cell" "$T2" "$r"
			run "$cell" "$T1" "$r"
		fi
	done
done

python3 - "$raw" "$md" "$T1" "$T2" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" <<'EOF'
import json, statistics, sys
raw, md, t1, t2, commit = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
runs = [json.loads(l) for l in open(raw)]
cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].strip(" :\t") if "model name" in open("/proc/cpuinfo").read() else "unknown"
lines = [f"# Training step, {t2} threads against {t1} (bench/scaling.sh)", "",
         f"commit {commit}; CPU: {cpu}; preset {runs[0].get('preset')}; each round times both thread counts back to back.", "",
         f"| cell | rounds | {t1} thread(s), tokens/s (median) | {t2} threads, tokens/s (median) | per-round ratio: median [range] |",
         "|---|---:|---:|---:|---:|"]
for cell in dict.fromkeys(r["cell"] for r in runs):
    by = {}
    for r in runs:
        if r["cell"] == cell:
            by.setdefault(r["round"], {})[r["threads"]] = r["tokens_per_s"]
    pairs = [(v[t1], v[t2]) for v in by.values() if t1 in v and t2 in v]
    ratios = sorted(b / a for a, b in pairs)
    lines.append(f"| {cell} | {len(pairs)} | {statistics.median(a for a, _ in pairs):.0f} | {statistics.median(b for _, b in pairs):.0f} | "
                 f"**{statistics.median(ratios):.2f}×** [{ratios[0]:.2f}–{ratios[-1]:.2f}] |")
open(md, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
echo "wrote $md and $raw" >&2
