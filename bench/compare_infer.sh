#!/usr/bin/env bash
# bench/compare_infer.sh: sparselm's inference engines beside PyTorch dense
# batch-1 inference and OpenBLAS sgemv, in one run (issue 11, item 5). See
# bench/README.md.
#
#   bash bench/compare_infer.sh          # the full comparison (~20 min on 2 cores, both vocabularies)
#   QUICK=1 bash bench/compare_infer.sh  # smoke run: tiny torch and sgemv shapes, the smallest paper grid, 1 round
#
# Knobs (environment): ROUNDS (interleaved rounds, default 3), VOCABS ("10000 33278"),
# SPARSITIES ("0,0.9,0.95") and ACTIVE ("0.2") for sparselm bench infer --paper,
# THREADS ("1 2", torch), CELLS ("egru lstm", torch), TORCH_MATVEC (mv: 1-D addmv; mm: [1×I] addmm),
# STEPS/WARMUP/REPEATS (tokens per timed repeat, untimed tokens, repeats: 100/20/5),
# GEMV_BENCHTIME (0.3s per Go run) with GEMV_REPEATS (3 runs of each side per shape and round),
# CORETYPES (OpenBLAS core types forced besides the default one, each only where the CPU has its
# instruction sets: bench/harness.sh; default SkylakeX, so only on a CPU with AVX-512),
# PARTS ("gemv torch infer"), OUT (results directory, default bench/results),
# SPARSELM_BIN (use this sparselm binary instead of building ./cmd/sparselm).
#
# Writes $OUT/compare-infer-DATE.md and .json and keeps the raw outputs in $OUT/raw-infer-DATE/.
# A part that cannot run (a core type the CPU lacks, a command that fails) is
# listed with its cause under "Not measured" (raw-infer-DATE/skipped.txt)
# while the rest of the run goes on.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

PY=/usr/bin/python3 # Debian's python, where apt installs torch (python3 on PATH may be a pyenv shim)
ROUNDS=${ROUNDS:-3}
VOCABS=${VOCABS:-"10000 33278"}
SPARSITIES=${SPARSITIES:-0,0.9,0.95}
ACTIVE=${ACTIVE:-0.2}
THREADS=${THREADS:-"1 2"}
CELLS=${CELLS:-"egru lstm"}
TORCH_MATVEC=${TORCH_MATVEC:-mv}
STEPS=${STEPS:-100}
WARMUP=${WARMUP:-20}
REPEATS=${REPEATS:-5}
GEMV_BENCHTIME=${GEMV_BENCHTIME:-0.3s}
GEMV_REPEATS=${GEMV_REPEATS:-3}
PARTS=${PARTS:-"gemv torch infer"}
OUT=${OUT:-$root/bench/results}
# The paper EGRU (layers 1350, 1350, 750; E 750); QUICK shrinks what it can:
# torch and sgemv run a tiny model, and sparselm bench infer --paper (which
# has only the paper shape) runs one point on a small vocabulary.
EMBED=750 HIDDEN=1350,1350,750
GEMV_TIME=${GEMV_BENCHTIME%s} # sgemv.py's --min-time, seconds
if [[ ! $GEMV_BENCHTIME =~ ^[0-9.]+s$ ]]; then
	echo "compare_infer.sh: GEMV_BENCHTIME=$GEMV_BENCHTIME: give seconds, e.g. 0.3s (sgemv.py times the same)" >&2
	exit 2
fi
if [[ -n "${QUICK:-}" ]]; then
	ROUNDS=1 STEPS=5 WARMUP=1 REPEATS=1 GEMV_BENCHTIME=20x GEMV_TIME=0.01 GEMV_REPEATS=1
	VOCABS=1000 SPARSITIES=0.9 ACTIVE=0.2 EMBED=16 HIDDEN=32,32,16 # the tiny model of paper_gemv_bench_test.go
fi
gemv_model() { # gemv_model VOCAB: the model of tensor/paper_gemv_bench_test.go
	if [[ -n "${QUICK:-}" ]]; then echo tiny; elif [[ $1 == 10000 ]]; then echo paper; else echo "paper_v$1"; fi
}
torch_vocab() { if [[ -n "${QUICK:-}" ]]; then echo 100; else echo "$1"; fi; }

# ---------------------------------------------------------------- dependencies
# shellcheck source=harness.sh
source bench/harness.sh
# shellcheck source=deps.sh
source bench/deps.sh

ct_env() { # ct_env CORETYPE THREADS: the env(1) prefix of one OpenBLAS setting
	if [[ $1 == default ]]; then echo env -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS=$2 OMP_NUM_THREADS=$2; else echo env OPENBLAS_CORETYPE=$1 OPENBLAS_NUM_THREADS=$2 OMP_NUM_THREADS=$2; fi
}

stamp=$(date -u +%Y%m%d-%H%M%S)
raw=$OUT/raw-infer-$stamp
mkdir -p "$raw"
: >"$raw/skipped.txt"
printf '%s\n' "$preset_env" >"$raw/preset_env.txt"
for why in "${CORETYPES_SKIPPED[@]}"; do note_skip "OpenBLAS core type" "$why"; done

# ---------------------------------------------------------------- builds
# Binaries live in a temporary directory, never in the results.
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
echo "compare_infer.sh: building (raw outputs in $raw)" >&2
if [[ -n ${SPARSELM_BIN:-} ]]; then # a prebuilt binary, e.g. while the tree does not build
	cp "$SPARSELM_BIN" "$bin/sparselm"
else
	go build -o "$bin/sparselm" ./cmd/sparselm
fi
go test -c -o "$bin/tensor.test" ./tensor
tmp=$bin/out # the stdout of the part just run (run_part)

{
	echo "date: $(date -u +%FT%TZ)"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)$(git diff --quiet 2>/dev/null || echo ' (dirty)')"
	echo "go: $(go version)"
	echo "cpu: $(cpu_model), $(nproc) cpus"
	echo "simd: $(simd_flags "$flags")"
	echo "caches: $(lscpu | grep -E '^(L2|L3) cache' | tr -s ' ' | paste -sd ';' -)"
	echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "coretypes: $CORETYPES"
	echo "settings: rounds $ROUNDS; vocabs $VOCABS; sparsities $SPARSITIES; active $ACTIVE; torch threads $THREADS, cells $CELLS, matvec $TORCH_MATVEC; $STEPS tokens × $REPEATS repeats after $WARMUP; gemv $GEMV_BENCHTIME × $GEMV_REPEATS (Go), ${GEMV_TIME}s × $GEMV_REPEATS (OpenBLAS)${QUICK:+; QUICK (tiny torch and sgemv shapes: not comparable with the paper-shape engines)}"
} >"$raw/env.txt"
for ct in $CORETYPES; do
	$(ct_env "$ct" 1) $PY -c 'import ctypes, sys
lib = ctypes.CDLL(sys.argv[1]); lib.openblas_get_corename.restype = lib.openblas_get_config.restype = ctypes.c_char_p
print(lib.openblas_get_corename().decode()); print(lib.openblas_get_config().decode())' "$OPENBLAS_DIR/libopenblas.so.0" >"$raw/openblas-core-$ct.txt" 2>&1 || true
done
$PY -c 'import torch; print(torch.__version__); print(torch.__config__.show()); print(torch.__config__.parallel_info())' >"$raw/torch-config.txt" 2>&1 || true

tag() { # tag KEY=VALUE...: adds the fields to the JSON object on stdin, printed on one line
	$PY -c 'import json, sys
d = json.load(sys.stdin)
for kv in sys.argv[1:]:
    k, v = kv.split("=", 1)
    d[k] = int(v) if v.isdigit() else v
print(json.dumps(d))' "$@"
}

# ---------------------------------------------------------------- one round
# Within a round the implementations take turns closely: (b) shape by
# shape, sparselm's kernel then OpenBLAS; then per vocabulary torch and
# sparselm bench infer back to back. This machine's speed drifts by tens of
# percent over minutes (bench/README.md), so each ratio compares runs
# seconds or a minute apart, and the medians are over rounds.
for r in $(seq 1 "$ROUNDS"); do
	for V in $VOCABS; do
		if [[ " $PARTS " == *" gemv "* ]]; then
			model=$(gemv_model "$V")
			mapfile -t shapes < <($PY bench/sgemv.py --model "$model" --list)
			echo "  round $r, V $V: (b) dense kernel vs OpenBLAS sgemv, ${#shapes[@]} products of model $model" >&2
			for shape in "${shapes[@]}"; do
				if run_part "(b) sparselm $model $shape, round $r" "$tmp" "$bin/tensor.test" -test.run '^$' -test.bench "^BenchmarkPaperGEMV\$/^$model\$/^$shape\$" \
					-test.benchtime "$GEMV_BENCHTIME" -test.count "$GEMV_REPEATS"; then
					sed -n "/^BenchmarkPaperGEMV/s/^/round=$r /p" "$tmp" >>"$raw/gemv-go.txt"
				fi
				for ct in $CORETYPES; do
					if run_part "(b) OpenBLAS $ct sgemv $model $shape, round $r" "$tmp" $(ct_env "$ct" 1) $PY bench/sgemv.py --model "$model" --shape "$shape" --json \
						--min-time "$GEMV_TIME" --repeats "$GEMV_REPEATS"; then
						tag round="$r" coretype="$ct" <"$tmp" >>"$raw/gemv-openblas.jsonl"
					fi
				done
			done
		fi
		if [[ " $PARTS " == *" torch "* ]]; then
			for cell in $CELLS; do
				for th in $THREADS; do
					for ct in $CORETYPES; do
						echo "  round $r, V $V: (a) torch $cell, $th threads, OpenBLAS $ct" >&2
						if run_part "(a) torch $cell on OpenBLAS $ct, $th threads, V $V, round $r" "$tmp" \
							$(ct_env "$ct" "$th") $PY bench/infer_torch.py --cell "$cell" --threads "$th" --matvec "$TORCH_MATVEC" \
							--vocab "$(torch_vocab "$V")" --embed "$EMBED" --hidden "$HIDDEN" --active "${ACTIVE%%,*}" \
							--steps "$STEPS" --warmup "$WARMUP" --repeats "$REPEATS" --json; then
							tag round="$r" coretype="$ct" paper_vocab="$V" <"$tmp" >>"$raw/torch.jsonl"
						fi
					done
				done
			done
		fi
		if [[ " $PARTS " == *" infer "* ]]; then
			echo "  round $r, V $V: (c) sparselm bench infer --paper, sparsities $SPARSITIES, active $ACTIVE" >&2
			if run_part "(c) sparselm bench infer --paper, V $V, round $r" "$tmp" "$bin/sparselm" bench infer --paper --vocab "$V" --sparsities "$SPARSITIES" --active "$ACTIVE" \
				--steps "$STEPS" --warmup "$WARMUP" --repeats "$REPEATS" --json; then
				tag round="$r" <"$tmp" >>"$raw/infer.jsonl"
			fi
			if [[ " $CELLS " == *" lstm "* ]]; then
				echo "  round $r, V $V: (c) sparselm bench infer --paper --cell lstm, sparsities $SPARSITIES" >&2
				if run_part "(c) sparselm bench infer --paper --cell lstm, V $V, round $r" "$tmp" "$bin/sparselm" bench infer --paper --cell lstm --vocab "$V" --sparsities "$SPARSITIES" \
					--steps "$STEPS" --warmup "$WARMUP" --repeats "$REPEATS" --json; then
					tag round="$r" <"$tmp" >>"$raw/infer-lstm.jsonl"
				fi
			fi
		fi
	done
done

# ---------------------------------------------------------------- report
mkdir -p "$OUT"
$PY bench/report_infer.py "$raw" --md "$OUT/compare-infer-$stamp.md" --json "$OUT/compare-infer-$stamp.json"
cat "$OUT/compare-infer-$stamp.md"
echo "compare_infer.sh: wrote $OUT/compare-infer-$stamp.md and .json" >&2
