#!/usr/bin/env bash
# bench/compare.sh: sparselm against numpy/OpenBLAS and PyTorch on this machine,
# in one run (issue 3, item 4). See bench/README.md.
#
#   bash bench/compare.sh                 # the full comparison (~15 min on 2 cores)
#   QUICK=1 bash bench/compare.sh         # smoke run: tiny model, tiny GEMMs, 1 round
#
# Knobs (environment): ROUNDS (interleaved rounds, default 3), THREADS ("1 2"),
# CELLS ("lstm egru"), PRESET (small), STEPS/REPEATS/WARMUP (per timed run),
# EVAL_BATCH1=0 (skip the batch-1 evaluation), PAIRS (GEMM/peak pairs), PARTS ("gemm lm": which of
# (a) and (b, c) to run; PARTS=gemm takes ~10 min), CORETYPES (OpenBLAS core types to force
# besides the default one, each only if the CPU has its instruction sets; default SkylakeX),
# OUT (results directory, default bench/results), SPARSELM_BIN (use this
# sparselm binary instead of building ./cmd/sparselm).
#
# Writes $OUT/compare-DATE.md and .json and keeps the raw outputs in $OUT/raw-DATE/.
# Runs on any CPU: the FMA peak uses its widest vector unit (bench/fmapeak),
# and a part that cannot run there (a core type the CPU lacks, no FMA loop, a
# command that fails) is listed with its cause under "Not measured" in the
# report (raw-DATE/skipped.txt) while the rest of the run goes on.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

PY=/usr/bin/python3 # Debian's python, where apt installs torch (python3 on PATH may be a pyenv shim)
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-"1 2"}
CELLS=${CELLS:-"lstm egru"}
PARTS=${PARTS:-"gemm lm"}
PRESET=${PRESET:-small}
STEPS=${STEPS:-5}
REPEATS=${REPEATS:-3}
WARMUP=${WARMUP:-2}
OUT=${OUT:-$root/bench/results}
GEMM_FILTER=${GEMM_FILTER:-}
GO_BENCHTIME=${GO_BENCHTIME:-0.2s}
GO_COUNT=${GO_COUNT:-3} # repeats of each GEMM shape per round (median taken), like gemm.py's --repeats
PAIRS=${PAIRS:-7}       # FMA-loop/GEMM pairs per shape and round for "% of peak, paired"
SIZE_FLAGS=()
if [[ -n "${QUICK:-}" ]]; then
	ROUNDS=1 STEPS=2 REPEATS=1 WARMUP=1 GEMM_FILTER=${GEMM_FILTER:-tiny} GO_BENCHTIME=20x GO_COUNT=1 PAIRS=2
	SIZE_FLAGS=(--embed 16 --hidden 32,16 --batch 8 --bptt 16)
fi

# ---------------------------------------------------------------- dependencies
# shellcheck source=harness.sh
source bench/harness.sh
# shellcheck source=deps.sh
source bench/deps.sh

stamp=$(date -u +%Y%m%d-%H%M%S)
raw=$OUT/raw-$stamp
mkdir -p "$raw"
: >"$raw/skipped.txt"
printf '%s\n' "$preset_env" >"$raw/preset_env.txt"
for why in "${CORETYPES_SKIPPED[@]}"; do note_skip "OpenBLAS core type" "$why"; done

# ---------------------------------------------------------------- builds
# Binaries live in a temporary directory, never in the results.
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
echo "compare.sh: building (raw outputs in $raw)" >&2
if [[ -n ${SPARSELM_BIN:-} ]]; then # a prebuilt binary, e.g. while the tree does not build
	cp "$SPARSELM_BIN" "$bin/sparselm"
else
	go build -o "$bin/sparselm" ./cmd/sparselm
fi
go test -c -o "$bin/tensor.test" ./tensor
go test -c -o "$bin/fmapeak.test" ./bench/fmapeak
tmp=$bin/out # the stdout of the part just run (run_part)

# The FMA loop's vector unit, or why there is none: then every "% of peak"
# figure is left out.
fma_unit=none
if run_part "FMA peak (bench/fmapeak)" "$tmp" "$bin/fmapeak.test" -test.run '^TestUnit$' -test.v; then
	fma_unit=$(sed -n 's/.*fmapeak unit: //p' "$tmp")
fi
fma_ok=1
if [[ $fma_unit == none* ]]; then
	fma_ok=
	[[ $fma_unit == none ]] || note_skip "FMA peak (bench/fmapeak) and every % of peak" "${fma_unit#none }"
fi

{
	echo "date: $(date -u +%FT%TZ)"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)$(git diff --quiet 2>/dev/null || echo ' (dirty)')"
	echo "go: $(go version)"
	echo "cpu: $(cpu_model), $(nproc) cpus"
	echo "simd: $(simd_flags "$flags")"
	echo "fmapeak: $fma_unit"
	echo "coretypes: $CORETYPES"
	echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$raw/env.txt"
for ct in $CORETYPES; do echo "Core: ${CORE_NAME[$ct]:-?}" >"$raw/openblas-core-$ct.txt"; done
$PY -c 'import torch; print(torch.__version__); print(torch.__config__.show()); print(torch.__config__.parallel_info())' >"$raw/torch-config.txt" 2>&1 || true

# runs CMD... > FILE, appending one JSON line; the caller names the columns.
torch_env() { # torch_env CORETYPE THREADS
	if [[ $1 == default ]]; then echo env -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS=$2 OMP_NUM_THREADS=$2; else echo env OPENBLAS_CORETYPE=$1 OPENBLAS_NUM_THREADS=$2 OMP_NUM_THREADS=$2; fi
}

# ---------------------------------------------------------------- (a) GEMM and peak
echo "compare.sh: (a) GEMM, one thread, $ROUNDS rounds" >&2
[[ " $PARTS " == *" gemm "* ]] || ROUNDS_GEMM=0
# Within a round the three implementations take turns shape by shape, so
# that each ratio compares runs seconds apart: this machine's speed drifts
# by tens of percent over minutes (session 2's rounds, which ran all Go
# shapes and then all numpy shapes, spanned up to 30 points for one shape).
shapes=()
[[ " $PARTS " == *" gemm "* ]] && mapfile -t shapes < <($PY bench/gemm.py --list --filter "$GEMM_FILTER")
peak_cmd=()
[[ -n $fma_ok ]] && peak_cmd=(--peak-cmd "$bin/fmapeak.test -test.run ^\$ -test.bench FMAPeak -test.benchtime 5x")
for r in $(seq 1 "${ROUNDS_GEMM:-$ROUNDS}"); do
	echo "  round $r: fma peak ($fma_unit), micro-kernel, then per shape sparselm, numpy with OpenBLAS $CORETYPES" >&2
	if [[ -n $fma_ok ]] && run_part "(a) FMA peak, round $r" "$tmp" "$bin/fmapeak.test" -test.run '^$' -test.bench FMAPeak -test.count 3 -test.benchtime 0.2s; then
		cat "$tmp" >>"$raw/fmapeak.txt"
	fi
	if run_part "(a) micro-kernel on L1 panels, round $r" "$tmp" env TENSOR_TUNE=1 "$bin/tensor.test" -test.run '^TestTuneKernel$' -test.v; then
		cat "$tmp" >>"$raw/microkernel.txt"
	fi
	for shape in "${shapes[@]}"; do
		# The FMA peak again, right before the shape: the machine's speed
		# moves within a round, and "% of peak" should use the speed of the
		# moment (report.py's "% of the shape's peak").
		if [[ -n $fma_ok ]] && run_part "(a) FMA peak before $shape, round $r" "$tmp" "$bin/fmapeak.test" -test.run '^$' -test.bench FMAPeak -test.count 2 -test.benchtime 0.1s; then
			sed -n "/GFLOP/s/^/$shape round=$r /p" "$tmp" >>"$raw/fmapeak-shapes.txt"
		fi
		if run_part "(a) sparselm $shape, round $r" "$tmp" "$bin/tensor.test" -test.run '^$' -test.bench "^BenchmarkGemm\$/^$shape\$" -test.benchtime "$GO_BENCHTIME" -test.count "$GO_COUNT"; then
			cat "$tmp" >>"$raw/gemm-go-r$r.txt"
		fi
		# The same product paired with the FMA loop run by run (a few ms
		# apart), for report.py's "% of peak, paired"; numpy likewise runs
		# the FMA loop before each of its repeats.
		if [[ -n $fma_ok ]] && run_part "(a) sparselm $shape paired with the FMA peak, round $r" "$tmp" "$bin/tensor.test" -test.run '^$' -test.bench "^BenchmarkGemmOfPeak\$/^$shape\$" -test.benchtime "$PAIRS"x; then
			grep -q '%peak' "$tmp" || note_skip "(a) sparselm $shape paired with the FMA peak, round $r" "no %peak line: $(grep -m1 -e SKIP -e FAIL "$tmp" || echo 'empty output')"
			sed -n "/%peak/s/^/round=$r /p" "$tmp" >>"$raw/gemm-go-paired.txt"
		fi
		for ct in $CORETYPES; do
			if run_part "(a) numpy OpenBLAS $ct $shape, round $r" "$tmp" $(torch_env "$ct" 1) $PY bench/gemm.py --threads 1 --json --shape "$shape" "${peak_cmd[@]}"; then
				cat "$tmp" >>"$raw/gemm-numpy-$ct.jsonl"
			fi
		done
	done
	if [[ -s $raw/gemm-go-r$r.txt ]]; then
		sed '/^goos:/d; /^goarch:/d; /^pkg:/d; /^cpu:/d; /^PASS/d; /^ok/d' "$raw/gemm-go-r$r.txt" | { echo "goos: round $r"; cat; } >>"$raw/gemm-go.txt"
	fi
	rm -f "$raw/gemm-go-r$r.txt"
done

# ---------------------------------------------------------------- (b, c) language models
[[ " $PARTS " == *" lm "* ]] || CELLS=""
lm_cells=()
for cell in $CELLS; do
	if run_part "(b, c) $cell: the model's settings for torch_lm.py" "$raw/config-$cell.json" "$bin/sparselm" bench train --preset "$PRESET" --model "$cell" "${SIZE_FLAGS[@]}" --print-config --json \
		--steps 1 --repeats 1 --warmup 0 --threads 1; then
		lm_cells+=("$cell")
	fi
done
CELLS=${lm_cells[*]}
tag_round() { # tag_round ROUND CORETYPE < JSON: the object with its round and core type, on one line
	$PY -c 'import json,sys; d=json.load(sys.stdin); d.update(round=int(sys.argv[1]), coretype=sys.argv[2]); print(json.dumps(d))' "$@"
}
lm_round() { # lm_round MODE BATCH ROUND
	local mode=$1 batch=$2 r=$3 bflag=()
	[[ $batch != 0 ]] && bflag=(--batch "$batch")
	for th in $THREADS; do
		for cell in $CELLS; do
			echo "  $mode round $r: $cell, $th threads${bflag:+, batch $batch}" >&2
			if run_part "($mode) sparselm $cell, $th threads${bflag:+, batch $batch}, round $r" "$tmp" \
				"$bin/sparselm" bench "$mode" --preset "$PRESET" --model "$cell" "${SIZE_FLAGS[@]}" "${bflag[@]}" --threads "$th" \
				--steps "$STEPS" --repeats "$REPEATS" --warmup "$WARMUP" --json; then
				tag_round "$r" "" <"$tmp" >>"$raw/lm.jsonl"
			fi
			for ct in $CORETYPES; do
				if run_part "($mode) torch $cell on OpenBLAS $ct, $th threads${bflag:+, batch $batch}, round $r" "$tmp" \
					$(torch_env "$ct" "$th") $PY bench/torch_lm.py --mode "$mode" --config "$raw/config-$cell.json" "${bflag[@]}" \
					--threads "$th" --steps "$STEPS" --repeats "$REPEATS" --warmup "$WARMUP" --json; then
					tag_round "$r" "$ct" <"$tmp" >>"$raw/lm.jsonl"
				fi
			done
		done
	done
}
echo "compare.sh: (b) training throughput, $ROUNDS rounds" >&2
for r in $(seq 1 "$ROUNDS"); do lm_round train 0 "$r"; done
echo "compare.sh: (c) evaluation throughput, $ROUNDS rounds" >&2
for r in $(seq 1 "$ROUNDS"); do lm_round eval 0 "$r"; done
if [[ -z ${QUICK:-} && ${EVAL_BATCH1:-1} != 0 ]]; then
	for r in $(seq 1 "$ROUNDS"); do STEPS=$((STEPS * 8)) lm_round eval 1 "$r"; done
fi

# ---------------------------------------------------------------- report
mkdir -p "$OUT"
$PY bench/report.py "$raw" --md "$OUT/compare-$stamp.md" --json "$OUT/compare-$stamp.json"
cat "$OUT/compare-$stamp.md"
echo "compare.sh: wrote $OUT/compare-$stamp.md and .json" >&2
