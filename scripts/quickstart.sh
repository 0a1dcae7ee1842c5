#!/usr/bin/env bash
# The main job on a fresh machine: build sparselm, get Penn Treebank, train
# the small-preset LSTM and EGRU, and print their test perplexity and (EGRU)
# activity sparsity. Interrupted runs continue where they stopped when this
# script is run again. Extra arguments go to both `sparselm train` calls,
# e.g. `--preset tiny` for a smoke run of a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/sparselm ./cmd/sparselm
if [ -z "${SPARSELM_DATA:-}" ] && [ -d ../shared/data/ptb ]; then
  export SPARSELM_DATA="$(cd ../shared/data && pwd)"
fi
if [ -z "${SPARSELM_DATA:-}" ]; then
  bin/sparselm data fetch ptb          # into ./data/ptb, checksums verified
fi
for model in lstm egru; do
  out="runs/ptb-$model-quickstart"
  resume=""
  [ -f "$out/last/MANIFEST.json" ] && resume="--resume"
  if [ -f "$out/result.json" ]; then
    echo "== $model: already finished, see $out/result.json"; continue
  fi
  echo "== training $model on PTB (run directory $out)"
  bin/sparselm train --model "$model" --dataset ptb --out "$out" $resume "$@"
done
