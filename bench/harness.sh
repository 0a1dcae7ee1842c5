# bench/harness.sh: functions shared by compare.sh and compare_infer.sh
# (sourced first; no side effects): the CPU's flags, which OpenBLAS core
# types it can run, and running one part of a comparison so that a failure
# is recorded with its cause instead of stopping the run. Tested by
# bench/harness_test.go on canned /proc/cpuinfo files (bench/testdata).

# cpu_flags [CPUINFO]: the CPU's feature flags, space-separated, from the
# first "flags" line (x86) or "Features" line (arm64) of CPUINFO
# (default /proc/cpuinfo).
cpu_flags() {
	sed -n -E 's/^(flags|Features)[[:space:]]*:[[:space:]]*//p' "${1:-/proc/cpuinfo}" | head -n 1
}

# cpu_model [CPUINFO]: the CPU's model name ("model name" on x86, else the
# implementer and part of an arm64 core), then its vendor, family and model.
cpu_model() {
	local f=${1:-/proc/cpuinfo} name vendor family model
	name=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' "$f" | head -n 1)
	if [[ -z $name ]]; then # arm64: no model name in /proc/cpuinfo
		name="arm64 CPU implementer $(sed -n 's/^CPU implementer[[:space:]]*:[[:space:]]*//p' "$f" | head -n 1), part $(sed -n 's/^CPU part[[:space:]]*:[[:space:]]*//p' "$f" | head -n 1)"
	fi
	vendor=$(sed -n 's/^vendor_id[[:space:]]*:[[:space:]]*//p' "$f" | head -n 1)
	family=$(sed -n 's/^cpu family[[:space:]]*:[[:space:]]*//p' "$f" | head -n 1)
	model=$(sed -n 's/^model[[:space:]]*:[[:space:]]*//p' "$f" | head -n 1)
	echo "$name${vendor:+ ($vendor, family $family, model $model)}"
}

# simd_flags FLAGS: the vector-unit flags among FLAGS that the kernels and
# OpenBLAS care about, in a fixed order.
simd_flags() {
	local f out=()
	for f in avx2 fma avx512f avx512bw avx512dq avx512vl avx512_bf16 asimd sve; do
		[[ " $1 " == *" $f "* ]] && out+=("$f")
	done
	echo "${out[*]}"
}

# coretype_needs CORETYPE: the /proc/cpuinfo flags that OpenBLAS's kernels
# for CORETYPE (a value of OPENBLAS_CORETYPE) execute. Forcing a core type
# skips OpenBLAS's own CPU check, and its kernels die with SIGILL where an
# instruction set is missing (SkylakeX on an AVX2-only AMD EPYC). Fails for
# a core type not in this table, which is then not forced at all. (pni is
# how /proc/cpuinfo spells SSE3.)
coretype_needs() {
	local avx512="avx2 fma avx512f avx512cd avx512bw avx512dq avx512vl"
	case $1 in
	Prescott) echo sse2 pni ;;
	Core2 | Atom) echo sse2 pni ssse3 ;;
	Penryn | Dunnington) echo sse2 pni ssse3 sse4_1 ;;
	Nehalem) echo sse2 pni ssse3 sse4_1 sse4_2 ;;
	Sandybridge) echo sse4_2 avx ;;
	Haswell | Zen) echo avx avx2 fma ;;
	SkylakeX) echo "$avx512" ;;
	Cooperlake) echo "$avx512" avx512_bf16 ;;
	SapphireRapids) echo "$avx512" avx512_bf16 avx512_fp16 amx_tile amx_bf16 ;;
	*) return 1 ;;
	esac
}

# coretype_check CORETYPE FLAGS: succeeds when a CPU with FLAGS runs
# CORETYPE's kernels ("default", OpenBLAS's own choice, always does);
# otherwise prints why not and fails.
coretype_check() {
	local ct=$1 flags=" $2 " need f missing=()
	[[ $ct == default ]] && return 0
	if ! need=$(coretype_needs "$ct"); then
		echo "OPENBLAS_CORETYPE=$ct not forced: bench/harness.sh does not know which CPU flags its kernels need (it knows Prescott, Core2, Atom, Penryn, Dunnington, Nehalem, Sandybridge, Haswell, Zen, SkylakeX, Cooperlake, SapphireRapids)"
		return 1
	fi
	for f in $need; do
		[[ $flags == *" $f "* ]] || missing+=("$f")
	done
	if ((${#missing[@]})); then
		echo "OPENBLAS_CORETYPE=$ct not forced: the CPU lacks ${missing[*]} (its kernels would die with SIGILL)"
		return 1
	fi
}

# select_coretypes REQUESTED FLAGS: sets CORETYPES to "default" (always
# measured) followed by each core type of REQUESTED (space-separated; empty
# means SkylakeX, OpenBLAS's AVX-512 kernels) that a CPU with FLAGS runs,
# and CORETYPES_SKIPPED to one line per requested core type it does not,
# saying why.
select_coretypes() {
	local requested=${1:-SkylakeX} flags=$2 ct why
	CORETYPES=default
	CORETYPES_SKIPPED=()
	for ct in $requested; do
		[[ " $CORETYPES " == *" $ct "* ]] && continue
		if why=$(coretype_check "$ct" "$flags"); then
			CORETYPES+=" $ct"
		else
			CORETYPES_SKIPPED+=("$why")
		fi
	done
}

# exit_reason STATUS: "exit N", with the signal's name when the process
# was killed by one ("exit 132 (SIGILL)").
exit_reason() {
	if (($1 > 128)) && kill -l $(($1 - 128)) >/dev/null 2>&1; then
		echo "exit $1 (SIG$(kill -l $(($1 - 128))))"
	else
		echo "exit $1"
	fi
}

# note_skip LABEL WHY: records that LABEL was not measured and why, on
# stderr and as a line "LABEL<TAB>WHY" of $raw/skipped.txt, which the
# reports list under "Not measured".
note_skip() {
	echo "$(basename "$0"): not measured: $1: $2" >&2
	printf '%s\t%s\n' "$1" "$2" >>"$raw/skipped.txt"
}

# run_part LABEL OUT CMD...: runs CMD with its stdout in the file OUT
# (overwritten). If CMD fails, records why (its exit status or signal and
# the last line of its stderr; the last 20 lines go to $raw/failures.txt)
# with note_skip and fails, so that the caller skips what depended on it and
# the run goes on. Its stderr is passed through when it succeeds.
run_part() {
	local label=$1 out=$2 err last rc=0
	shift 2
	err=$(mktemp)
	"$@" >"$out" 2>"$err" || rc=$?
	if ((rc == 0)); then
		cat "$err" >&2
		rm -f "$err"
		return 0
	fi
	{
		echo "== $label: $(exit_reason "$rc"): $*"
		tail -n 20 "$err"
	} >>"$raw/failures.txt"
	last=$(grep -v '^[[:space:]]*$' "$err" | tail -n 1 | cut -c1-200 || true)
	note_skip "$label" "$(exit_reason "$rc")${last:+; $last} (raw/failures.txt)"
	rm -f "$err"
	return 1
}
