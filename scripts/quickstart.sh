#!/usr/bin/env bash
# The main job on a fresh machine: build sparselm, get Penn Treebank, train
# the small-preset LSTM and EGRU (test perplexity, EGRU activity sparsity),
# prune both iteratively to 50, 75 and 90% of their layer weights with a
# fine-tuning epoch per level, time the dense and event-driven engines on
# every checkpoint, and write the study's tables and plots (perplexity
# against MACs per token, measured speedup against counted reduction) to
# runs/quickstart-small/study/.
# Interrupted runs continue where they stopped when this script is run
# again. Extra arguments go to both `sparselm train` calls, e.g.
# `--preset tiny` for a smoke run (about 35 s on 2 cores), which goes to
# runs/quickstart-tiny/: every preset has its own directories, and a run
# is taken as finished only if its stored options name the same preset.
set -euo pipefail
cd "$(dirname "$0")/.."

# The preset the train flags ask for (train's default: small).
preset=small
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --preset=* | -preset=*) preset="${args[i]#*=}" ;;
    --preset | -preset) preset="${args[i + 1]:-}" ;;
  esac
done
root="runs/quickstart-$preset"

# stored_preset FILE prints the preset a run's JSON file records: the first
# "preset" field (result.json: the options; summary.json and options.json:
# the top level), empty if there is none.
stored_preset() {
  sed -n 's/^ *"preset": "\([^"]*\)".*/\1/p' "$1" | head -n 1
}

# same_preset FILE fails, saying why, if FILE records another preset.
same_preset() {
  local got
  got="$(stored_preset "$1")"
  if [ "$got" != "$preset" ]; then
    echo "quickstart: $1 records preset '${got:-none}', not '$preset'; move $(dirname "$1") away or pass --preset ${got:-...}" >&2
    return 1
  fi
}

# -buildvcs=auto: record the git revision in every result even where GOFLAGS
# turns stamping off (it is skipped, not an error, without git).
go build -buildvcs=auto -o bin/sparselm ./cmd/sparselm
if [ -z "${SPARSELM_DATA:-}" ] && [ -d ../shared/data/ptb ]; then
  export SPARSELM_DATA="$(cd ../shared/data && pwd)"
fi
if [ -z "${SPARSELM_DATA:-}" ]; then
  # Into the user data directory (~/.local/share/sparselm/ptb), checksums
  # verified; skipped when it is there already. Offline: see its error.
  bin/sparselm data fetch ptb
fi
for model in lstm egru; do
  out="$root/ptb-$model"
  if [ -f "$out/result.json" ]; then
    same_preset "$out/result.json"
    echo "== $model: already finished ($preset preset), see $out/result.json"; continue
  fi
  resume=""
  if [ -f "$out/last/MANIFEST.json" ]; then
    same_preset "$out/last/options.json"
    resume="--resume"
  fi
  echo "== training $model on PTB, $preset preset (run directory $out)"
  bin/sparselm train --model "$model" --dataset ptb --out "$out" $resume "$@"
done
for model in lstm egru; do
  src="$root/ptb-$model"
  out="$root/ptb-$model-pruned"
  if [ -f "$out/summary.json" ]; then
    same_preset "$out/summary.json"
    echo "== $model: pruning already finished, see $out/summary.csv"; continue
  fi
  resume=""
  [ -f "$out/prune.json" ] && resume="--resume"
  echo "== pruning $model to 50/75/90% (run directory $out)"
  bin/sparselm prune --ckpt "$src" --levels 0.5,0.75,0.9 --finetune-epochs 1 --out "$out" $resume
done
for model in lstm egru; do
  out="$root/ptb-$model-pruned"
  if [ -f "$out/infer-bench.json" ] && [ "$out/infer-bench.json" -nt "$out/summary.json" ]; then
    echo "== $model: engines already timed, see $out/infer-bench.json"; continue
  fi
  echo "== timing the dense and event engines on every $model checkpoint (batch 1, one thread)"
  bin/sparselm bench infer --sweep "$out"
done
echo "== the study: perplexity against MACs per token, and measured speed (in $root/study)"
bin/sparselm report --out "$root/study" --names LSTM,EGRU "$root/ptb-lstm-pruned" "$root/ptb-egru-pruned"
