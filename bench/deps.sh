# bench/deps.sh: sourced by compare.sh and compare_infer.sh (with PY set) to
# install what the comparisons need and to pin OpenBLAS.
#
# Debian's torch and numpy link the reference BLAS interface (libblas.so.3);
# libopenblas0-pthread provides it through OpenBLAS, which is what the
# comparisons measure against (and libopenblas.so.0, which sgemv.py calls
# through ctypes). The OpenBLAS directory goes first on LD_LIBRARY_PATH, so
# the runs use OpenBLAS whatever update-alternatives selects. OpenBLAS and
# OpenMP settings inherited from the caller would silently change the
# "default" columns: they are recorded in preset_env, then cleared.
OPENBLAS_DIR=/usr/lib/x86_64-linux-gnu/openblas-pthread
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

# CORETYPES (unless the caller set it): the OpenBLAS settings worth timing.
# OPENBLAS_CORETYPE=SkylakeX selects AVX-512 kernels: only where the CPU has
# them (it crashes on an AVX2-only CPU such as an AMD EPYC of family 23/25)
# and only on Intel, where OpenBLAS 0.3.21 may not know the model and fall
# back to generic kernels otherwise. (compare.sh still always times
# SkylakeX, so it needs an AVX-512 CPU.)
flags=$(lscpu | sed -n 's/^Flags:[[:space:]]*//p')
vendor=$(grep -m1 vendor_id /proc/cpuinfo | cut -d: -f2 | tr -d ' ')
if [[ -z ${CORETYPES:-} ]]; then
	CORETYPES=default
	if [[ $vendor == GenuineIntel && " $flags " == *" avx512f "* ]]; then
		CORETYPES="default SkylakeX"
	fi
fi
