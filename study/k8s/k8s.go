package k8s

import (
	"bytes"
	"fmt"
	"path"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/sparselm/sparselm/config"
	"github.com/sparselm/sparselm/study"
)

// Options are the settings of the manifests that the spec does not hold.
// The field paths of a *config.FieldError from Emit are their JSON names.
type Options struct {
	// Name names the objects (NAME-spec, NAME-s0-train, …) and labels them
	// (app.kubernetes.io/instance): a DNS-1123 label short enough that the
	// pods' host names, NAME-sK-KIND-INDEX, are labels too.
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"` // "": kubectl's current namespace

	Image      string            `json:"image"`       // the container image (built by the user, see the package doc)
	PullPolicy corev1.PullPolicy `json:"pull_policy"` // Always, IfNotPresent or Never

	// Claim is the PersistentVolumeClaim that every pod mounts at Mount; it
	// must be ReadWriteMany, as pods on several nodes write the study.
	Claim string `json:"claim"`
	// ClaimSize, if set (20Gi), adds the claim to the manifests with this
	// storage request, of StorageClass ("": the cluster's default class).
	ClaimSize    string `json:"claim_size,omitempty"`
	StorageClass string `json:"storage_class,omitempty"`

	Mount string `json:"mount"`         // where the claim is mounted: an absolute path
	Dir   string `json:"dir,omitempty"` // the study directory, relative to Mount; "": Name
	// Data is the directory of the datasets ($SPARSELM_DATA), relative to
	// Mount; "" leaves SPARSELM_DATA as the image sets it.
	Data string `json:"data,omitempty"`

	// Memory is each pod's memory request and limit, a Kubernetes quantity
	// (2Gi); its CPU request is the spec's Threads.
	Memory string `json:"memory"`
	// Parallelism is the most pods of one stage that run at once; 0: all.
	Parallelism int `json:"parallelism,omitempty"`
	// Attempts is how often a job is tried before its index fails
	// (backoffLimitPerIndex = Attempts−1); a retry resumes the job. Pods
	// evicted or preempted (condition DisruptionTarget) do not count. The
	// default is 1: a job that fails records so in its state, which the
	// --wait of its dependents takes as final, so that they would fail
	// while a retry of it runs; rather fix the cause, delete the Jobs and
	// apply the file again (finished jobs return at once).
	Attempts int `json:"attempts"`
}

// DefaultOptions returns the options of `sparselm study emit --k8s` without
// flags, but for Name, which has no default.
func DefaultOptions() Options {
	return Options{Image: "sparselm:latest", PullPolicy: corev1.PullIfNotPresent, Claim: "sparselm", Mount: "/study",
		Data: "data", Memory: "2Gi", Attempts: 1}
}

// specMount is where every pod sees the spec of the manifests' ConfigMap.
const specMount = "/etc/sparselm"

// script is every pod's command, run by sh -c. Its inputs are in the
// environment, so that no value needs shell quoting: STUDY_DIR, FIRST_JOB,
// POD_NAME and JOB_COMPLETION_INDEX (set by Kubernetes in the pods of an
// Indexed Job). The first pod copies the spec into the study directory
// (through a file of its own and a rename, so that no pod reads half a
// spec); a pod that finds another spec there stops rather than run a job
// of another study. Kubernetes expands $(NAME) in a command when NAME is a
// variable of the container; $((…)) never names one and reaches sh as
// written.
const script = `set -eu
spec="$STUDY_DIR/study.json"
if [ ! -f "$spec" ]; then
  mkdir -p "$STUDY_DIR"
  cp ` + specMount + `/study.json "$spec.$POD_NAME"
  mv -f "$spec.$POD_NAME" "$spec"
fi
if ! cmp -s ` + specMount + `/study.json "$spec"; then
  echo "$spec holds another study than the one emitted with this pod: emit the study into another directory, or remove it" >&2
  exit 1
fi
exec sparselm study run --spec "$spec" --job $((FIRST_JOB + JOB_COMPLETION_INDEX)) --wait
`

// Labels of every object.
const (
	labelName      = "app.kubernetes.io/name"      // sparselm
	labelInstance  = "app.kubernetes.io/instance"  // Options.Name
	labelComponent = "app.kubernetes.io/component" // the stage's kind; spec, storage
	labelStage     = "sparselm/stage"              // the stage that first needs the object
)

// Emit returns the manifests of the study of spec (see the package doc) as
// one multi-document YAML file with a header of comments that says how to
// apply it. A bad spec or option is returned as an error that holds a
// *config.FieldError.
func Emit(spec study.Spec, o Options) ([]byte, error) {
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("k8s: the study's spec: %w", err)
	}
	b, err := emit(spec, study.Plan(spec), o)
	if err != nil {
		return nil, fmt.Errorf("k8s: %w", err)
	}
	return b, nil
}

// emit is Emit of the plan jobs of spec.
func emit(spec study.Spec, jobs []study.Job, o Options) ([]byte, error) {
	if o.Dir == "" {
		o.Dir = o.Name
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	stages := study.Stages(jobs)
	for k, st := range stages {
		if len(st) == 0 {
			return nil, fmt.Errorf("stage %d of the plan has no jobs", k)
		}
		for i, j := range st {
			if j.ID != st[0].ID+i {
				return nil, fmt.Errorf("stage %d of the plan: job %d follows job %d; a stage's job IDs must be consecutive", k, j.ID, st[i-1].ID)
			}
		}
		host := jobName(o.Name, k, st) + "-" + strconv.Itoa(len(st)-1)
		if msgs := validation.IsDNS1123Label(host); len(msgs) > 0 {
			return nil, config.Invalid("name", o.Name, fmt.Sprintf("is too long: the host names of its pods (%s) must be at most %d characters",
				host, validation.DNS1123LabelMaxLength))
		}
	}

	var buf bytes.Buffer
	header(&buf, spec, jobs, stages, o)
	put := func(comment string, v any) error {
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		buf.WriteString("---\n")
		buf.WriteString(comment)
		buf.Write(b)
		return nil
	}
	if err := put("", configMap(spec, o)); err != nil {
		return nil, err
	}
	if o.ClaimSize != "" {
		if err := put("", claim(o)); err != nil {
			return nil, err
		}
	}
	for k, st := range stages {
		var c strings.Builder
		if len(st) == 1 {
			fmt.Fprintf(&c, "# Stage %d: job %d (pod 0):\n", k, st[0].ID)
		} else {
			fmt.Fprintf(&c, "# Stage %d: jobs %d-%d (pod i runs job %d+i):\n", k, st[0].ID, st[len(st)-1].ID, st[0].ID)
		}
		for _, j := range st {
			fmt.Fprintf(&c, "#   %d %s\n", j.ID, j.Name())
		}
		if err := put(c.String(), indexedJob(spec, k, st, o)); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

// check reports the first bad option as a *config.FieldError.
func (o Options) check() error {
	bad := config.Invalid
	if msgs := validation.IsDNS1123Label(o.Name); len(msgs) > 0 {
		return bad("name", o.Name, "is not a Kubernetes name: "+msgs[0])
	}
	if o.Namespace != "" {
		if msgs := validation.IsDNS1123Label(o.Namespace); len(msgs) > 0 {
			return bad("namespace", o.Namespace, "is not a Kubernetes namespace: "+msgs[0])
		}
	}
	if o.Image == "" || strings.ContainsAny(o.Image, " \t\n") {
		return bad("image", o.Image, "must name a container image (e.g. sparselm:latest), without spaces")
	}
	switch o.PullPolicy {
	case corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		return bad("pull_policy", string(o.PullPolicy), "must be Always, IfNotPresent or Never")
	}
	if msgs := validation.IsDNS1123Subdomain(o.Claim); len(msgs) > 0 {
		return bad("claim", o.Claim, "is not a Kubernetes name: "+msgs[0])
	}
	if o.ClaimSize != "" {
		if q, err := resource.ParseQuantity(o.ClaimSize); err != nil || q.Sign() <= 0 {
			return bad("claim_size", o.ClaimSize, "must be a positive Kubernetes quantity such as 20Gi")
		}
	}
	if o.StorageClass != "" {
		if o.ClaimSize == "" {
			return bad("storage_class", o.StorageClass, "is the class of an emitted claim: set claim_size too")
		}
		if msgs := validation.IsDNS1123Subdomain(o.StorageClass); len(msgs) > 0 {
			return bad("storage_class", o.StorageClass, "is not a Kubernetes name: "+msgs[0])
		}
	}
	if !path.IsAbs(o.Mount) || path.Clean(o.Mount) != o.Mount || o.Mount == "/" {
		return bad("mount", o.Mount, "must be an absolute, clean path other than /, such as /study")
	}
	if o.Mount == specMount || strings.HasPrefix(o.Mount, specMount+"/") || strings.HasPrefix(specMount, o.Mount+"/") {
		return bad("mount", o.Mount, "must not hold or be in "+specMount+", where the pods see the spec")
	}
	if !isRelative(o.Dir) {
		return bad("dir", o.Dir, "must be a clean relative path inside the mount, such as studies/ptb-small")
	}
	if o.Data != "" && !isRelative(o.Data) {
		return bad("data", o.Data, "must be a clean relative path inside the mount, such as data")
	}
	if q, err := resource.ParseQuantity(o.Memory); err != nil || q.Sign() <= 0 {
		return bad("memory", o.Memory, "must be a positive Kubernetes quantity such as 2Gi")
	}
	if o.Parallelism < 0 {
		return bad("parallelism", o.Parallelism, "must not be negative (0 runs all pods of a stage at once)")
	}
	if o.Attempts < 1 {
		return bad("attempts", o.Attempts, "must be positive (1 tries each job once)")
	}
	return nil
}

// isRelative reports whether p is a clean relative path that stays inside
// its base directory.
func isRelative(p string) bool {
	return p != "" && p != "." && !path.IsAbs(p) && path.Clean(p) == p && p != ".." && !strings.HasPrefix(p, "../")
}

// jobName is the name of the Job of stage k: NAME-sK-KIND.
func jobName(name string, k int, st []study.Job) string {
	return fmt.Sprintf("%s-s%d-%s", name, k, stageKind(st))
}

// stageKind is the kind of a stage's jobs (study.Plan gives a stage one kind).
func stageKind(st []study.Job) string {
	for _, j := range st {
		if j.Kind != st[0].Kind {
			return "mixed"
		}
	}
	return string(st[0].Kind)
}

// labels returns the labels of an object of component, first needed in
// stage k.
func labels(o Options, component string, k int) map[string]string {
	return map[string]string{labelName: "sparselm", labelInstance: o.Name, labelComponent: component, labelStage: strconv.Itoa(k)}
}

// object is a manifest without the status that the API server writes
// (batchv1.Job would serialise an empty one).
type object struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              any `json:"spec"`
}

// configMap holds the spec, which the pods copy into the study directory.
func configMap(spec study.Spec, o Options) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name + "-spec", Namespace: o.Namespace, Labels: labels(o, "spec", 0)},
		Data:       map[string]string{study.SpecFile: string(spec.Marshal())},
	}
}

// claim is the volume of the study when the manifests create it.
func claim(o Options) object {
	spec := corev1.PersistentVolumeClaimSpec{
		AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
		Resources: corev1.VolumeResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(o.ClaimSize)}, // checked
		},
	}
	if o.StorageClass != "" {
		spec.StorageClassName = &o.StorageClass
	}
	return object{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Claim, Namespace: o.Namespace, Labels: labels(o, "storage", 0)},
		Spec:       spec,
	}
}

// indexedJob is the Job of stage k, whose jobs are st.
func indexedJob(spec study.Spec, k int, st []study.Job, o Options) object {
	n := int32(len(st))
	parallel := n
	if o.Parallelism > 0 && int32(o.Parallelism) < n {
		parallel = int32(o.Parallelism)
	}
	indexed := batchv1.IndexedCompletion
	retries := int32(o.Attempts - 1)
	lab := labels(o, stageKind(st), k)
	memory := resource.MustParse(o.Memory) // checked
	env := []corev1.EnvVar{
		{Name: "STUDY_DIR", Value: path.Join(o.Mount, o.Dir)},
		{Name: "FIRST_JOB", Value: strconv.Itoa(st[0].ID)},
		{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
	}
	if o.Data != "" {
		env = append(env, corev1.EnvVar{Name: "SPARSELM_DATA", Value: path.Join(o.Mount, o.Data)})
	}
	pod := corev1.PodSpec{
		RestartPolicy: corev1.RestartPolicyNever, // a retry is a new pod, counted per index
		Containers: []corev1.Container{{
			Name:            "sparselm",
			Image:           o.Image,
			ImagePullPolicy: o.PullPolicy,
			Command:         []string{"sh", "-c", script},
			WorkingDir:      o.Mount,
			Env:             env,
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{
					corev1.ResourceCPU:    *resource.NewQuantity(int64(spec.Threads), resource.DecimalSI),
					corev1.ResourceMemory: memory,
				},
				// No CPU limit: a job uses its Threads, and throttling only slows it.
				Limits: corev1.ResourceList{corev1.ResourceMemory: memory},
			},
			VolumeMounts: []corev1.VolumeMount{
				{Name: "study", MountPath: o.Mount},
				{Name: "spec", MountPath: specMount, ReadOnly: true},
			},
		}},
		Volumes: []corev1.Volume{
			{Name: "study", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: o.Claim}}},
			{Name: "spec", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: o.Name + "-spec"}}}},
		},
	}
	return object{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: jobName(o.Name, k, st), Namespace: o.Namespace, Labels: lab},
		Spec: batchv1.JobSpec{
			Completions:          &n,
			Parallelism:          &parallel,
			CompletionMode:       &indexed,
			BackoffLimitPerIndex: &retries,
			PodFailurePolicy: &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
				Action:          batchv1.PodFailurePolicyActionIgnore,
				OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}},
			}}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: lab}, Spec: pod},
		},
	}
}

// header writes the comments that open the file: what it holds, what it
// needs, and how to apply it.
func header(w *bytes.Buffer, spec study.Spec, jobs []study.Job, stages [][]study.Job, o Options) {
	ns := ""
	if o.Namespace != "" {
		ns = " -n " + o.Namespace
	}
	sel := labelInstance + "=" + o.Name
	p := func(format string, a ...any) {
		if format == "" {
			w.WriteString("#\n")
			return
		}
		fmt.Fprintf(w, "# "+format+"\n", a...)
	}
	p("Kubernetes manifests of the sparselm study %q: %d jobs in %d stages, one", o.Name, len(jobs), len(stages))
	p("Indexed Job per stage (written by sparselm, package study/k8s).")
	p("")
	p("Kubernetes Jobs have no dependencies between them: every stage starts at once,")
	p("and pod i of a stage runs its job N = FIRST_JOB + i (JOB_COMPLETION_INDEX) with")
	p("  sparselm study run --spec %s --job N --wait", path.Join(o.Mount, o.Dir, study.SpecFile))
	p("whose --wait blocks until job N's dependencies are done (failing if one failed).")
	p("")
	if o.ClaimSize != "" {
		p("Every pod mounts the claim %s (ReadWriteMany, emitted below) at %s.", o.Claim, o.Mount)
	} else {
		p("Every pod mounts the claim %s at %s; it must exist, with access mode ReadWriteMany.", o.Claim, o.Mount)
	}
	switch {
	case strings.ContainsRune(spec.Dataset, '/'):
		p("The dataset directory %s must be visible in the pods (they start in %s).", spec.Dataset, o.Mount)
	case o.Data != "":
		p("The dataset must be in %s/%s: once, in a pod that mounts the claim,", path.Join(o.Mount, o.Data), spec.Dataset)
		p("  sparselm data fetch %s --dest %s", spec.Dataset, path.Join(o.Mount, o.Data))
	default:
		p("The image must find the dataset %s (through its own SPARSELM_DATA).", spec.Dataset)
	}
	p("")
	p("  kubectl apply -f FILE")
	p("")
	p("Waiting pods hold their requests (cpu %d, memory %s each); on a cluster without", spec.Threads, o.Memory)
	p("room for every stage at once, apply one stage at a time:")
	p("  for s in $(seq 0 %d); do", len(stages)-1)
	p("    kubectl apply%s -f FILE -l %s=$s &&", ns, labelStage)
	p("    kubectl wait%s --for=condition=Complete --timeout=24h job -l %s,%s=$s || break", ns, sel, labelStage)
	p("  done")
	p("")
	p("Progress: kubectl get%s jobs -l %s", ns, sel)
	p("and the jobs' state files in %s.", path.Join(o.Mount, o.Dir, study.DirState))
	p("Clean up: kubectl delete%s jobs,configmaps -l %s", ns, sel)
	p("(kubectl delete -f FILE would also delete an emitted claim, and the study on it).")
}
