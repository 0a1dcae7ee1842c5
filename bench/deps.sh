# bench/deps.sh: sourced by compare.sh and compare_infer.sh (with PY set,
# after bench/harness.sh) to install what the comparisons need, to pin
# OpenBLAS and to choose the OpenBLAS core types this CPU can run.
#
# Debian's torch and numpy link the reference BLAS interface (libblas.so.3);
# libopenblas0-pthread provides it through OpenBLAS, which is what the
# comparisons measure against (and libopenblas.so.0, which sgemv.py calls
# through ctypes). The OpenBLAS directory goes first on LD_LIBRARY_PATH, so
# the runs use OpenBLAS whatever update-alternatives selects. OpenBLAS and
# OpenMP settings inherited from the caller would silently change the
# "default" columns: they are recorded in preset_env, then cleared.
# Debian's multiarch directory: x86_64-linux-gnu, aarch64-linux-gnu, ...
OPENBLAS_DIR=/usr/lib/$(uname -m)-linux-gnu/openblas-pthread
missing=()
$PY -c 'import torch' 2>/dev/null || missing+=(python3-torch)
$PY -c 'import numpy' 2>/dev/null || missing+=(python3-numpy)
$PY -c 'import threadpoolctl' 2>/dev/null || missing+=(python3-threadpoolctl)
[[ -e $OPENBLAS_DIR/libopenblas.so.0 && -e $OPENBLAS_DIR/libblas.so.3 ]] || missing+=(libopenblas0-pthread)
if ((${#missing[@]})); then
	echo "$(basename "$0"): installing ${missing[*]}" >&2
	sudo=()
	[[ $(id -u) == 0 ]] || sudo=(sudo)
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
export LD_LIBRARY_PATH=$OPENBLAS_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

preset_env=$(env | grep -E '^(OPENBLAS_|GOTOBLAS_|OMP_|MKL_)' || true)
unset OPENBLAS_CORETYPE GOTOBLAS_CORETYPE OPENBLAS_L2_SIZE OPENBLAS_VERBOSE OPENBLAS_NUM_THREADS OMP_NUM_THREADS MKL_NUM_THREADS
unset GOMAXPROCS

# CORETYPES: the OpenBLAS settings to time. "default" (OpenBLAS's own
# choice for this CPU) always comes first; each other core type (CORETYPES
# from the caller, or SkylakeX) is forced with OPENBLAS_CORETYPE only where
# the CPU's flags include every instruction set its kernels use
# (select_coretypes in harness.sh; forcing SkylakeX on an AVX2-only AMD
# EPYC dies with SIGILL), whatever the vendor (an AMD Zen 4 runs SkylakeX's
# AVX-512 kernels). Each kept core type must then run one small sgemm
# through numpy; CORETYPES_SKIPPED says why each of the others was dropped.
# CORE_NAME[ct] is the core OpenBLAS reports for ct ("Core: Zen").
flags=$(cpu_flags)
vendor=$(sed -n 's/^vendor_id[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)
select_coretypes "${CORETYPES:-}" "$flags"
declare -A CORE_NAME=()
kept=default
for ct in $CORETYPES; do
	if [[ $ct == default ]]; then ctenv=(env -u OPENBLAS_CORETYPE); else ctenv=(env "OPENBLAS_CORETYPE=$ct"); fi
	rc=0
	probe=$("${ctenv[@]}" OPENBLAS_VERBOSE=2 OPENBLAS_NUM_THREADS=1 $PY -c 'import numpy as np
a = np.ones((64, 64), np.float32)
assert (a @ a)[0, 0] == 64, "wrong sgemm result"' 2>&1) || rc=$?
	CORE_NAME[$ct]=$(sed -n 's/^Core: //p' <<<"$probe" | head -n 1)
	if ((rc != 0)); then
		last=$(grep -v '^Core: ' <<<"$probe" | tail -n 1 || true)
		CORETYPES_SKIPPED+=("OPENBLAS_CORETYPE=$ct: a 64×64 sgemm through numpy failed, $(exit_reason "$rc")${last:+: $last}")
	elif [[ $ct != default ]]; then
		kept+=" $ct"
	fi
done
CORETYPES=$kept # default stays: without it nothing of OpenBLAS is measured, and its failure is reported by each part
