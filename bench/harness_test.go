// Package bench holds no Go code, only the tests of the benchmark harness's
// scripts: bench/harness.sh's CPU and OpenBLAS core-type logic on canned
// /proc/cpuinfo files (testdata/cpuinfo), its run_part on commands that
// fail, and report.py / report_infer.py on raw directories. They need bash
// and /usr/bin/python3 (the Python the scripts use) and skip without them.
package bench

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// bash runs script after sourcing harness.sh under set -euo pipefail, with
// the extra environment variables env, and returns its stdout.
func bash(t *testing.T, script string, env ...string) string {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	cmd := exec.Command("bash", "-c", "set -euo pipefail; ulimit -c 0; source ./harness.sh\n"+script)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bash: %v\nscript:\n%s\nstderr:\n%s", err, script, stderr.String())
	}
	return string(out)
}

// TestSelectCoretypes checks which OpenBLAS core types are forced on each
// canned CPU: "default" always first, a core type only when the CPU has
// every instruction set its kernels use (SkylakeX needs AVX-512F, CD, BW,
// DQ and VL; Cooperlake also AVX512_BF16), and a reason for each one left
// out. The AMD EPYC file is this machine's /proc/cpuinfo, on which
// OPENBLAS_CORETYPE=SkylakeX dies with SIGILL; the others are described in
// testdata/README.md.
func TestSelectCoretypes(t *testing.T) {
	for _, c := range []struct {
		cpuinfo, requested string
		want               string
		skipped            []string // one substring per skipped line, in order
	}{
		{"epyc-zen3.txt", "", "default", []string{"SkylakeX not forced: the CPU lacks avx512f avx512cd avx512bw avx512dq avx512vl"}},
		{"epyc-zen3.txt", "SkylakeX", "default", []string{"SkylakeX not forced: the CPU lacks avx512f"}},
		{"epyc-zen3.txt", "Haswell SkylakeX Cooperlake Bogus default Haswell Zen", "default Haswell Zen", []string{
			"SkylakeX not forced: the CPU lacks avx512f",
			"Cooperlake not forced: the CPU lacks avx512f avx512cd avx512bw avx512dq avx512vl avx512_bf16",
			"Bogus not forced: bench/harness.sh does not know",
		}},
		{"xeon-avx512-bf16.txt", "", "default SkylakeX", nil},
		{"xeon-avx512-bf16.txt", "Cooperlake SkylakeX SapphireRapids", "default Cooperlake SkylakeX", []string{
			"SapphireRapids not forced: the CPU lacks avx512_fp16 amx_tile amx_bf16",
		}},
		{"skylake-sp.txt", "SkylakeX Cooperlake", "default SkylakeX", []string{"Cooperlake not forced: the CPU lacks avx512_bf16"}},
		{"haswell-desktop-no-avx512.txt", "SkylakeX Haswell Sandybridge Prescott", "default Haswell Sandybridge Prescott", []string{"SkylakeX not forced"}},
		{"graviton2-neoverse-n1.txt", "", "default", []string{"SkylakeX not forced: the CPU lacks avx2 fma avx512f"}},
		{"graviton2-neoverse-n1.txt", "NEOVERSEN1", "default", []string{"NEOVERSEN1 not forced: bench/harness.sh does not know"}},
	} {
		out := bash(t, `select_coretypes "$REQ" "$(cpu_flags "$CPUINFO")"
echo "$CORETYPES"
for s in "${CORETYPES_SKIPPED[@]}"; do echo "$s"; done`,
			"REQ="+c.requested, "CPUINFO="+filepath.Join("testdata", "cpuinfo", c.cpuinfo))
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		name := c.cpuinfo + " CORETYPES=" + c.requested
		if lines[0] != c.want {
			t.Errorf("%s: CORETYPES %q, want %q", name, lines[0], c.want)
		}
		got := lines[1:]
		if len(got) != len(c.skipped) {
			t.Errorf("%s: skipped %q, want %d lines like %q", name, got, len(c.skipped), c.skipped)
			continue
		}
		for i, want := range c.skipped {
			if !strings.Contains(got[i], want) {
				t.Errorf("%s: skipped line %d %q, want it to say %q", name, i, got[i], want)
			}
		}
	}
}

// TestCPUModel checks the CPU description and vector-unit flags that the
// scripts write into env.txt, for x86 and arm64 /proc/cpuinfo layouts.
func TestCPUModel(t *testing.T) {
	for _, c := range []struct{ cpuinfo, model, simd string }{
		{"epyc-zen3.txt", "AMD EPYC (AuthenticAMD, family 25, model 1)", "avx2 fma"},
		{"xeon-avx512-bf16.txt", "Intel(R) Xeon(R) Processor (GenuineIntel, family 6, model 207)", "avx2 fma avx512f avx512bw avx512dq avx512vl avx512_bf16"},
		{"skylake-sp.txt", "Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz (GenuineIntel, family 6, model 85)", "avx2 fma avx512f avx512bw avx512dq avx512vl"},
		{"graviton2-neoverse-n1.txt", "arm64 CPU implementer 0x41, part 0xd0c", "asimd"},
	} {
		out := bash(t, `cpu_model "$CPUINFO"; simd_flags "$(cpu_flags "$CPUINFO")"`, "CPUINFO="+filepath.Join("testdata", "cpuinfo", c.cpuinfo))
		if want := c.model + "\n" + c.simd + "\n"; out != want {
			t.Errorf("%s: got %q, want %q", c.cpuinfo, out, want)
		}
	}
}

// TestRunPart checks that a part which crashes or fails is recorded with
// its cause (exit status, signal name, last stderr line) in skipped.txt and
// failures.txt, that the script goes on under set -e, and that a part that
// succeeds leaves its stdout and records nothing.
func TestRunPart(t *testing.T) {
	raw := t.TempDir()
	out := bash(t, `raw=$RAW
run_part "fine part" "$raw/out1" bash -c 'echo fine; echo a warning >&2' && echo "fine: ok"
run_part "crash part" "$raw/out2" bash -c 'echo partial; echo "Illegal instruction here" >&2; kill -ILL $$' || echo "crash: failed"
run_part "exit part" "$raw/out3" bash -c 'exit 3' || echo "exit: failed"
echo done`, "RAW="+raw)
	if want := "fine: ok\ncrash: failed\nexit: failed\ndone\n"; out != want {
		t.Errorf("script printed %q, want %q", out, want)
	}
	for file, want := range map[string]string{
		"out1": "fine\n",
		"out2": "partial\n",
		"skipped.txt": "crash part\texit 132 (SIGILL); Illegal instruction here (raw/failures.txt)\n" +
			"exit part\texit 3 (raw/failures.txt)\n",
	} {
		got, err := os.ReadFile(filepath.Join(raw, file))
		if err != nil || string(got) != want {
			t.Errorf("%s: %q (%v), want %q", file, got, err, want)
		}
	}
	failures, _ := os.ReadFile(filepath.Join(raw, "failures.txt"))
	if !strings.Contains(string(failures), "== crash part: exit 132 (SIGILL): bash -c") || !strings.Contains(string(failures), "Illegal instruction here") {
		t.Errorf("failures.txt lacks the crash and its stderr:\n%s", failures)
	}
}

// python returns the path of the Python the scripts run under, or skips.
func python(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skipf("no %s", py)
	}
	return py
}

// report runs a report script on raw and returns its Markdown and JSON.
func report(t *testing.T, script, raw string) (string, map[string]any) {
	t.Helper()
	dir := t.TempDir()
	md, js := filepath.Join(dir, "out.md"), filepath.Join(dir, "out.json")
	cmd := exec.Command(python(t), script, raw, "--md", md, "--json", js)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", script, raw, err, out)
	}
	text, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	// report.py writes NaN for a figure not measured, as Python's json does.
	var v map[string]any
	if err := json.Unmarshal(bytes.ReplaceAll(b, []byte("NaN"), []byte("null")), &v); err != nil {
		t.Fatal(err)
	}
	return string(text), v
}

// TestReportAVX2 renders testdata/raw-avx2, a synthetic run on an AVX2-only
// CPU (OpenBLAS default and Haswell measured, SkylakeX skipped, one torch
// round failed), against the golden testdata/report-avx2.md (-update
// rewrites it), and checks the figures worked out by hand from the raw
// files: sparselm's GEMM median over rounds 67.5 GFLOP/s (rounds 75 and
// 60), over OpenBLAS Haswell's 54 (60 and 48) = 1.25×; training 2000 over
// the best torch 1600 (Haswell, round 1: round 2 of Haswell failed, so
// only round 1 is common to every column) = 1.25×.
func TestReportAVX2(t *testing.T) {
	md, js := report(t, "report.py", filepath.Join("testdata", "raw-avx2"))
	golden := filepath.Join("testdata", "report-avx2.md")
	if *update {
		if err := os.WriteFile(golden, []byte(md), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if md != string(want) {
		t.Errorf("report differs from %s (go test -update rewrites it):\n%s", golden, md)
	}
	for _, s := range []string{"| OpenBLAS default |", "| OpenBLAS Haswell |", "| torch, OpenBLAS Haswell |", "bench/fmapeak, AVX2+FMA",
		"## Not measured", "- OpenBLAS core type: OPENBLAS_CORETYPE=SkylakeX not forced: the CPU lacks avx512f"} {
		if !strings.Contains(md, s) {
			t.Errorf("report lacks %q", s)
		}
	}
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| ") && strings.Contains(line, "SkylakeX") {
			t.Errorf("a table names SkylakeX, which was not measured: %s", line)
		}
	}
	gemm := js["gemm"].(map[string]any)["small_x_64x64x64"].(map[string]any)
	lm := js["lm"].([]any)[0].(map[string]any)
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"gemm sparselm", gemm["sparselm"], 67.5},
		{"gemm openblas_haswell", gemm["openblas_haswell"], 54.0},
		{"gemm ratio_haswell", gemm["ratio_haswell"], 1.25},
		{"lm ratio_best", lm["ratio_best"], 1.25},
		{"lm ratio_default", lm["ratio_default"], 2.0},
		{"coretypes", strings.Join(toStrings(js["coretypes"]), " "), "default Haswell"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// TestReportLegacyRaw renders the raw directory of the last full run on
// the AVX-512 Xeon (session 4, before compare.sh recorded core types or the
// FMA unit) and checks it against the report committed from it then: the
// language-model rows are the same bytes, every cell of each old GEMM row
// is still in the new row (which adds the default core type's fractions),
// and the unit is the AVX-512 loop, the only one there was.
func TestReportLegacyRaw(t *testing.T) {
	const run = "20261129-225446"
	md, _ := report(t, "report.py", filepath.Join("results", "raw-"+run))
	old, err := os.ReadFile(filepath.Join("results", "compare-"+run+".md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := func(text string) map[string]string { // first cell → row, for table rows
		m := map[string]string{}
		for _, l := range strings.Split(text, "\n") {
			if strings.HasPrefix(l, "| ") && !strings.HasPrefix(l, "| shape") && !strings.HasPrefix(l, "| cell") {
				cells := strings.Split(l, " | ")
				m[cells[0]+" "+cells[1]+" "+cells[2]+" "+cells[3]] = l
			}
		}
		return m
	}
	newRows := rows(md)
	n := 0
	for k, o := range rows(string(old)) {
		nw, ok := newRows[k]
		if !ok {
			t.Errorf("row %q is gone", k)
			continue
		}
		n++
		if strings.HasPrefix(o, "| lstm") || strings.HasPrefix(o, "| egru") {
			if nw != o {
				t.Errorf("language-model row changed:\nold %s\nnew %s", o, nw)
			}
			continue
		}
		have := map[string]int{}
		for _, c := range strings.Split(nw, " | ") {
			have[c]++
		}
		for _, c := range strings.Split(o, " | ") {
			if have[c] == 0 {
				t.Errorf("GEMM row %q lost the cell %q:\nold %s\nnew %s", k, c, o, nw)
			}
			have[c]--
		}
	}
	if n < 20 {
		t.Errorf("only %d rows compared; the old report has 23 GEMM and several language-model rows", n)
	}
	for _, s := range []string{"bench/fmapeak, AVX-512: 16 chains × 16 float32 lanes", "| OpenBLAS SkylakeX |",
		"OpenBLAS core: Prescott as configured (OPENBLAS_CORETYPE unset), SkylakeX with OPENBLAS_CORETYPE=SkylakeX"} {
		if !strings.Contains(md, s) {
			t.Errorf("report lacks %q", s)
		}
	}
	if strings.Contains(md, "## Not measured") {
		t.Error("a run that measured everything lists parts as not measured")
	}
}

// TestReportInferNotMeasured checks that report_infer.py renders a
// committed run exactly as it was committed and, given a skipped.txt,
// lists its parts under "Not measured".
func TestReportInferNotMeasured(t *testing.T) {
	const run = "20261201-151956"
	src := filepath.Join("results", "raw-infer-"+run)
	md, _ := report(t, "report_infer.py", src)
	old, err := os.ReadFile(filepath.Join("results", "compare-infer-"+run+".md"))
	if err != nil {
		t.Fatal(err)
	}
	if md != string(old) {
		t.Errorf("report_infer.py no longer renders %s as committed", src)
	}
	raw := filepath.Join(t.TempDir(), "raw")
	if err := os.CopyFS(raw, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	why := "(a) torch egru on OpenBLAS default, 1 threads, V 10000, round 1\texit 139 (SIGSEGV) (raw/failures.txt)\n"
	if err := os.WriteFile(filepath.Join(raw, "skipped.txt"), []byte(why), 0o644); err != nil {
		t.Fatal(err)
	}
	md, js := report(t, "report_infer.py", raw)
	if !strings.Contains(md, "## Not measured") || !strings.Contains(md, "- (a) torch egru on OpenBLAS default, 1 threads, V 10000, round 1: exit 139 (SIGSEGV)") {
		t.Errorf("report lacks the part not measured:\n%s", md)
	}
	if nm := js["not_measured"].([]any); len(nm) != 1 {
		t.Errorf("not_measured = %v, want one entry", nm)
	}
}
