#!/usr/bin/env bash
# The main job on a fresh machine: build sparselm, get Penn Treebank, and run
# the study as one command (`sparselm study`): train the small-preset LSTM
# and EGRU, prune both iteratively to 50, 75 and 90% of their layer weights
# with a fine-tuning epoch per level, measure every checkpoint, time the
# dense and event-driven engines on each, and write the report (perplexity
# against MACs per token, measured speedup against counted reduction) to
# runs/quickstart-PRESET/report/, two jobs at a time.
# Run again, it continues an interrupted study where it stopped. Extra
# arguments go to `sparselm study`, e.g. `--preset tiny` for a smoke run
# (runs/quickstart-tiny/) or `--seeds 3`; each preset has its own directory,
# and a directory is never taken for a study of another spec.
set -euo pipefail
cd "$(dirname "$0")/.."

# The preset the arguments ask for (small unless they say otherwise).
preset=small
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --preset=* | -preset=*) preset="${args[i]#*=}" ;;
    --preset | -preset) preset="${args[i + 1]:-}" ;;
  esac
done

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
bin/sparselm study --dataset ptb --preset "$preset" --models lstm,egru --schedule iterative \
  --levels 0.5,0.75,0.9 --finetune-epochs 1 --jobs 2 --out "runs/quickstart-$preset" "$@"
