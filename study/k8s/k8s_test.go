package k8s

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/sparselm/sparselm/config"
	"github.com/sparselm/sparselm/prune"
	"github.com/sparselm/sparselm/study"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// oneshotSpec is the tiny study of 2 models × 2 seeds pruned to 2 levels,
// the engines timed, 2 threads a job: 4 train, 8 prune, 4 bench jobs and
// the report, in 4 stages.
func oneshotSpec() study.Spec {
	s := study.DefaultSpec("tiny")
	s.Schedule = prune.OneShot
	s.Seeds, s.Levels, s.Threads = []uint64{1, 2}, []float64{0.5, 0.9}, 2
	return s
}

// iterativeSpec is the tiny study of both models, one seed, pruned
// iteratively to 3 levels: 2 train jobs, 3 stages of 2 prune jobs, 2 bench
// jobs and the report, in 6 stages.
func iterativeSpec() study.Spec {
	s := study.DefaultSpec("tiny")
	s.Schedule, s.Levels = prune.Iterative, []float64{0.5, 0.75, 0.9}
	return s
}

// cases are the golden files: the oneshot study with the default options,
// the iterative one with every option that changes the output set.
var cases = []struct {
	name string
	spec study.Spec
	opts func() Options
}{
	{"oneshot", oneshotSpec(), func() Options {
		o := DefaultOptions()
		o.Name = "tiny"
		return o
	}},
	{"iterative", iterativeSpec(), func() Options {
		o := DefaultOptions()
		o.Name, o.Namespace, o.Image, o.PullPolicy = "tiny-iter", "research", "registry.example/sparselm:v1", corev1.PullAlways
		o.Claim, o.ClaimSize, o.StorageClass = "studies", "20Gi", "nfs"
		o.Mount, o.Dir, o.Data, o.Memory, o.Parallelism, o.Attempts = "/mnt/sparselm", "studies/iterative", "", "512Mi", 1, 2
		return o
	}},
}

// TestEmitGolden compares the manifests with testdata/NAME.yaml;
// `go test ./study/k8s -run TestEmitGolden -update` rewrites them.
func TestEmitGolden(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Emit(c.spec, c.opts())
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", c.name+".yaml")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if !bytes.Equal(got, want) {
				gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
				for i := 0; i < len(gl) || i < len(wl); i++ {
					if i >= len(gl) || i >= len(wl) || gl[i] != wl[i] {
						t.Fatalf("%s differs from line %d on:\ngot  %q\nwant %q\n(rerun with -update if the change is intended)",
							golden, i+1, at(gl, i), at(wl, i))
					}
				}
			}
		})
	}
}

func at(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(end of file)"
}

// manifests splits an emitted file into its header and its objects, read
// back into the API types (strictly: an unknown field is an error).
type manifests struct {
	header     string
	configMaps []corev1.ConfigMap
	claims     []corev1.PersistentVolumeClaim
	jobs       []batchv1.Job
}

func parse(t *testing.T, b []byte) manifests {
	t.Helper()
	docs := strings.Split(string(b), "\n---\n")
	m := manifests{header: docs[0]}
	for i, doc := range docs[1:] {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatalf("document %d: %v", i+1, err)
		}
		var err error
		switch tm.APIVersion + " " + tm.Kind {
		case "v1 ConfigMap":
			var c corev1.ConfigMap
			err = yaml.UnmarshalStrict([]byte(doc), &c)
			m.configMaps = append(m.configMaps, c)
		case "v1 PersistentVolumeClaim":
			var c corev1.PersistentVolumeClaim
			err = yaml.UnmarshalStrict([]byte(doc), &c)
			m.claims = append(m.claims, c)
		case "batch/v1 Job":
			var j batchv1.Job
			err = yaml.UnmarshalStrict([]byte(doc), &j)
			m.jobs = append(m.jobs, j)
		default:
			t.Fatalf("document %d is a %s %s", i+1, tm.APIVersion, tm.Kind)
		}
		if err != nil {
			t.Fatalf("document %d: %v", i+1, err)
		}
	}
	return m
}

func env(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// TestEmitParsesBack reads the manifests back into batchv1.Job values and
// checks what running the study relies on: a Job per stage, Indexed, with
// as many completions as the stage has jobs, FIRST_JOB its first job ID,
// the command of the runner, the spec and the shared volume.
func TestEmitParsesBack(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := c.opts()
			b, err := Emit(c.spec, o)
			if err != nil {
				t.Fatal(err)
			}
			m := parse(t, b)
			if !strings.Contains(m.header, "no dependencies") || !strings.Contains(m.header, "--wait") {
				t.Errorf("the header does not say that --wait orders the stages:\n%s", m.header)
			}
			if len(m.configMaps) != 1 || m.configMaps[0].Data[study.SpecFile] != string(c.spec.Marshal()) {
				t.Fatalf("want one ConfigMap holding the spec, got %+v", m.configMaps)
			}
			wantClaims := 0
			if o.ClaimSize != "" {
				wantClaims = 1
				pvc := m.claims[0]
				if pvc.Name != o.Claim || len(pvc.Spec.AccessModes) != 1 || pvc.Spec.AccessModes[0] != corev1.ReadWriteMany ||
					pvc.Spec.Resources.Requests.Storage().String() != o.ClaimSize || *pvc.Spec.StorageClassName != o.StorageClass {
					t.Errorf("claim %+v", pvc)
				}
			}
			if len(m.claims) != wantClaims {
				t.Fatalf("%d claims, want %d", len(m.claims), wantClaims)
			}
			stages := study.Stages(study.Plan(c.spec))
			if len(m.jobs) != len(stages) {
				t.Fatalf("%d Jobs, want one per stage: %d", len(m.jobs), len(stages))
			}
			for k, st := range stages {
				j := m.jobs[k]
				wantName := fmt.Sprintf("%s-s%d-%s", o.Name, k, st[0].Kind)
				if j.Name != wantName || j.Namespace != o.Namespace || j.Labels[labelStage] != strconv.Itoa(k) {
					t.Errorf("stage %d: Job %s/%s labelled %v, want %s in %q, stage label %d", k, j.Namespace, j.Name, j.Labels, wantName, o.Namespace, k)
				}
				s := j.Spec
				if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
					t.Errorf("%s: completionMode %v, want Indexed", j.Name, s.CompletionMode)
				}
				if s.Completions == nil || int(*s.Completions) != len(st) {
					t.Errorf("%s: completions %v, want the stage's %d jobs", j.Name, s.Completions, len(st))
				}
				wantPar := len(st)
				if o.Parallelism > 0 {
					wantPar = min(len(st), o.Parallelism)
				}
				if s.Parallelism == nil || int(*s.Parallelism) != wantPar {
					t.Errorf("%s: parallelism %v, want %d", j.Name, s.Parallelism, wantPar)
				}
				// Kubernetes accepts backoffLimitPerIndex and podFailurePolicy
				// only with restartPolicy Never.
				if s.BackoffLimitPerIndex == nil || int(*s.BackoffLimitPerIndex) != o.Attempts-1 ||
					s.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
					t.Errorf("%s: backoffLimitPerIndex %v, restartPolicy %q; want %d, Never", j.Name, s.BackoffLimitPerIndex,
						s.Template.Spec.RestartPolicy, o.Attempts-1)
				}
				pod := s.Template.Spec
				if len(pod.Containers) != 1 {
					t.Fatalf("%s: %d containers", j.Name, len(pod.Containers))
				}
				ct := pod.Containers[0]
				if got := env(ct, "FIRST_JOB"); got != strconv.Itoa(st[0].ID) {
					t.Errorf("%s: FIRST_JOB %q, want the stage's first job %d", j.Name, got, st[0].ID)
				}
				dir := o.Dir
				if dir == "" {
					dir = o.Name
				}
				if got, want := env(ct, "STUDY_DIR"), filepath.Join(o.Mount, dir); got != want {
					t.Errorf("%s: STUDY_DIR %q, want %q", j.Name, got, want)
				}
				if len(ct.Command) != 3 || ct.Command[0] != "sh" || ct.Command[1] != "-c" ||
					!strings.Contains(ct.Command[2], `sparselm study run --spec "$spec" --job $((FIRST_JOB + JOB_COMPLETION_INDEX)) --wait`) {
					t.Errorf("%s: command %q", j.Name, ct.Command)
				}
				if ct.Image != o.Image || ct.ImagePullPolicy != o.PullPolicy {
					t.Errorf("%s: image %s (%s)", j.Name, ct.Image, ct.ImagePullPolicy)
				}
				if cpu := ct.Resources.Requests.Cpu(); cpu.Value() != int64(c.spec.Threads) {
					t.Errorf("%s: cpu request %v, want the spec's %d threads", j.Name, cpu, c.spec.Threads)
				}
				if mem := ct.Resources.Requests.Memory(); mem.String() != o.Memory {
					t.Errorf("%s: memory request %v, want %s", j.Name, mem, o.Memory)
				}
				mounts := map[string]corev1.VolumeMount{}
				for _, vm := range ct.VolumeMounts {
					mounts[vm.Name] = vm
				}
				vols := map[string]corev1.VolumeSource{}
				for _, v := range pod.Volumes {
					vols[v.Name] = v.VolumeSource
				}
				if pvc := vols["study"].PersistentVolumeClaim; pvc == nil || pvc.ClaimName != o.Claim || mounts["study"].MountPath != o.Mount {
					t.Errorf("%s: volume study %+v at %q, want claim %s at %s", j.Name, pvc, mounts["study"].MountPath, o.Claim, o.Mount)
				}
				if cm := vols["spec"].ConfigMap; cm == nil || cm.Name != m.configMaps[0].Name || mounts["spec"].MountPath != specMount ||
					!mounts["spec"].ReadOnly {
					t.Errorf("%s: volume spec %+v at %+v, want ConfigMap %s read-only at %s", j.Name, cm, mounts["spec"],
						m.configMaps[0].Name, specMount)
				}
			}
			if last := m.jobs[len(m.jobs)-1]; last.Labels[labelComponent] != string(study.KindReport) || *last.Spec.Completions != 1 {
				t.Errorf("the last Job is %s with %d completions, want the report's one", last.Name, *last.Spec.Completions)
			}
		})
	}
}

// TestScriptRunsItsJob runs the command of every pod of the oneshot study
// with sh, a fake sparselm that prints its arguments, and the environment
// Kubernetes gives pod i: each must run the plan's job of its stage and
// index, after copying the spec into the study directory.
func TestScriptRunsItsJob(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh:", err)
	}
	spec := oneshotSpec()
	o := cases[0].opts()
	b, err := Emit(spec, o)
	if err != nil {
		t.Fatal(err)
	}
	m := parse(t, b)
	root := t.TempDir()
	// The pods' paths, under root.
	bin, specDir := filepath.Join(root, "bin"), filepath.Join(root, "etc")
	studyDir := filepath.Join(root, env(m.jobs[0].Spec.Template.Spec.Containers[0], "STUDY_DIR"))
	for _, d := range []string{bin, specDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(bin, "sparselm"), []byte("#!/bin/sh\necho \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(specDir, study.SpecFile), []byte(m.configMaps[0].Data[study.SpecFile]), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(script string, first, index int) (string, error) {
		cmd := exec.Command("sh", "-c", strings.ReplaceAll(script, specMount, specDir))
		cmd.Env = []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "STUDY_DIR=" + studyDir,
			"FIRST_JOB=" + strconv.Itoa(first), "JOB_COMPLETION_INDEX=" + strconv.Itoa(index), "POD_NAME=pod-" + strconv.Itoa(index)}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return stderr.String(), err
		}
		return string(out), nil
	}
	plan := study.Plan(spec)
	ran := 0
	for k, st := range study.Stages(plan) {
		ct := m.jobs[k].Spec.Template.Spec.Containers[0]
		first, _ := strconv.Atoi(env(ct, "FIRST_JOB"))
		for i := range int(*m.jobs[k].Spec.Completions) {
			out, err := run(ct.Command[2], first, i)
			if err != nil {
				t.Fatalf("stage %d pod %d: %v: %s", k, i, err, out)
			}
			want := fmt.Sprintf("study run --spec %s --job %d --wait\n", filepath.Join(studyDir, study.SpecFile), st[i].ID)
			if out != want {
				t.Errorf("stage %d pod %d ran %q, want %q", k, i, out, want)
			}
			ran++
		}
	}
	if ran != len(plan) {
		t.Errorf("the pods ran %d jobs, want the plan's %d", ran, len(plan))
	}
	if got, err := os.ReadFile(filepath.Join(studyDir, study.SpecFile)); err != nil || !bytes.Equal(got, spec.Marshal()) {
		t.Errorf("the study directory's spec is %q (%v), want the emitted one", got, err)
	}
	if left, _ := filepath.Glob(filepath.Join(studyDir, study.SpecFile+".*")); len(left) > 0 {
		t.Errorf("temporary spec files left: %v", left)
	}

	// A study directory of another study: the pod stops before the runner.
	other := spec
	other.Seeds = []uint64{7}
	if err := os.WriteFile(filepath.Join(studyDir, study.SpecFile), other.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(m.jobs[0].Spec.Template.Spec.Containers[0].Command[2], 0, 0)
	if err == nil || !strings.Contains(out, "holds another study") {
		t.Errorf("with another study's spec in the directory: err %v, output %q; want a failure before the runner", err, out)
	}
}

// TestCommandSurvivesKubernetesExpansion checks that Kubernetes passes the
// command to sh unchanged. Kubernetes replaces $(NAME) in a container's
// command when NAME is one of the container's variables, and $$ by $
// (https://kubernetes.io/docs/tasks/inject-data-application/define-interdependent-environment-variables/).
func TestCommandSurvivesKubernetesExpansion(t *testing.T) {
	names := map[string]bool{"JOB_COMPLETION_INDEX": true}
	job := indexedJob(oneshotSpec(), 0, study.Plan(oneshotSpec())[:1], cases[0].opts())
	for _, e := range job.Spec.(batchv1.JobSpec).Template.Spec.Containers[0].Env {
		names[e.Name] = true
	}
	if expand("a $(FIRST_JOB) $$(x)", names) != "a <FIRST_JOB> $(x)" {
		t.Fatal("expand does not follow Kubernetes' rule")
	}
	if got := expand(script, names); got != script {
		t.Errorf("Kubernetes would change the command to\n%s", got)
	}
}

// expand is Kubernetes' expansion of a command with the variables names;
// a variable expands to <NAME>.
func expand(s string, names map[string]bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch {
		case s[i+1] == '$':
			b.WriteByte('$')
			i++
		case s[i+1] == '(':
			if end := strings.IndexByte(s[i+2:], ')'); end >= 0 && names[s[i+2:i+2+end]] {
				b.WriteString("<" + s[i+2:i+2+end] + ">")
				i += 2 + end
				continue
			}
			b.WriteByte('$')
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

// TestEmitBadOptions checks that each bad option is reported as a
// *config.FieldError of its field that quotes the value.
func TestEmitBadOptions(t *testing.T) {
	for _, c := range []struct {
		field string
		set   func(*Options)
		text  string // in the message
	}{
		{"name", func(o *Options) { o.Name = "" }, `""`},
		{"name", func(o *Options) { o.Name = "Tiny_Study" }, "lower case"},
		{"name", func(o *Options) { o.Name = strings.Repeat("a", 55) }, "too long"},
		{"namespace", func(o *Options) { o.Namespace = "Research" }, "namespace"},
		{"image", func(o *Options) { o.Image = "" }, "container image"},
		{"image", func(o *Options) { o.Image = "sparselm latest" }, "spaces"},
		{"pull_policy", func(o *Options) { o.PullPolicy = "Sometimes" }, "IfNotPresent"},
		{"claim", func(o *Options) { o.Claim = "" }, "claim"},
		{"claim_size", func(o *Options) { o.ClaimSize = "lots" }, "20Gi"},
		{"storage_class", func(o *Options) { o.StorageClass = "nfs" }, "claim_size"},
		{"mount", func(o *Options) { o.Mount = "study" }, "absolute"},
		{"mount", func(o *Options) { o.Mount = "/etc" }, specMount},
		{"dir", func(o *Options) { o.Dir = "../tiny" }, "relative"},
		{"dir", func(o *Options) { o.Dir = "/study/tiny" }, "relative"},
		{"data", func(o *Options) { o.Data = "/data" }, "relative"},
		{"memory", func(o *Options) { o.Memory = "2 GB" }, "quantity"},
		{"memory", func(o *Options) { o.Memory = "" }, "quantity"},
		{"parallelism", func(o *Options) { o.Parallelism = -1 }, "negative"},
		{"attempts", func(o *Options) { o.Attempts = 0 }, "positive"},
	} {
		o := cases[0].opts()
		c.set(&o)
		b, err := Emit(oneshotSpec(), o)
		var fe *config.FieldError
		if !errors.As(err, &fe) || fe.Path != c.field || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: got %v (%d bytes), want a *config.FieldError of %s saying %q", c.field, err, len(b), c.field, c.text)
		}
	}
}

// TestEmitBadSpec checks that a spec Validate rejects is not emitted.
func TestEmitBadSpec(t *testing.T) {
	s := oneshotSpec()
	s.Seeds = nil
	_, err := Emit(s, cases[0].opts())
	var fe *config.FieldError
	if !errors.As(err, &fe) || fe.Path != "seeds" {
		t.Errorf("got %v, want a *config.FieldError of seeds", err)
	}
}

// TestEmitNeedsConsecutiveStages checks that a plan whose stage has
// interleaved job IDs, which FIRST_JOB + index cannot address, is refused.
func TestEmitNeedsConsecutiveStages(t *testing.T) {
	jobs := []study.Job{{ID: 0, Stage: 0, Kind: study.KindTrain}, {ID: 1, Stage: 1, Kind: study.KindPrune},
		{ID: 2, Stage: 0, Kind: study.KindTrain}}
	if _, err := emit(oneshotSpec(), jobs, cases[0].opts()); err == nil || !strings.Contains(err.Error(), "consecutive") {
		t.Errorf("got %v, want an error about consecutive job IDs", err)
	}
}
