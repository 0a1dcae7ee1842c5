package cli

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/sparselm/sparselm/internal/ckptdir"
	"github.com/sparselm/sparselm/study"
	"github.com/sparselm/sparselm/study/k8s"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// runStudyEmit is `sparselm study emit --k8s`: the study as Kubernetes
// Indexed Jobs, one per stage (package study/k8s).
func runStudyEmit(env *Env, args []string) error {
	fs := newFlagSet(env, "study emit", "study emit --k8s --spec FILE --name NAME [-o FILE] [flags]")
	def := k8s.DefaultOptions()
	o := def
	asK8s := fs.Bool("k8s", false, "emit Kubernetes Indexed Jobs (batch/v1), one per stage (required: the only target)")
	specFile := fs.String("spec", "", "the study's spec `file` (JSON, as sparselm study writes to DIR/study.json)")
	outFile := fs.String("o", "", "write the YAML to `file` (default: standard output)")
	fs.StringVar(&o.Name, "name", "", "name of the study's objects (a DNS label) and, by default, its directory on the volume (required)")
	fs.StringVar(&o.Namespace, "namespace", def.Namespace, "namespace (default: kubectl's current one)")
	fs.StringVar(&o.Image, "image", def.Image, "container image with sparselm on its PATH and a POSIX sh")
	pull := fs.String("pull-policy", string(def.PullPolicy), "image pull policy: Always, IfNotPresent or Never")
	fs.StringVar(&o.Claim, "claim", def.Claim, "the ReadWriteMany PersistentVolumeClaim every pod mounts")
	fs.StringVar(&o.ClaimSize, "claim-size", def.ClaimSize, "also create the claim with this size (e.g. 20Gi)")
	fs.StringVar(&o.StorageClass, "storage-class", def.StorageClass, "storage class of a created claim")
	fs.StringVar(&o.Mount, "mount", def.Mount, "where the claim is mounted in the pods (absolute)")
	fs.StringVar(&o.Dir, "dir", def.Dir, "the study directory relative to --mount (default --name)")
	fs.StringVar(&o.Data, "data-dir", def.Data, "the datasets' directory relative to --mount (SPARSELM_DATA of the pods)")
	fs.StringVar(&o.Memory, "memory", def.Memory, "memory request and limit of a pod")
	fs.IntVar(&o.Parallelism, "parallelism", def.Parallelism, "pods of a stage at once (0: all)")
	fs.IntVar(&o.Attempts, "attempts", def.Attempts, "tries of each job")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := fs.noArgs("study emit"); err != nil {
		return err
	}
	if !*asK8s {
		return errors.New("study emit: give --k8s (Kubernetes Indexed Jobs; for Slurm, use study submit --slurm)")
	}
	spec, err := readStudySpec("study emit", *specFile)
	if err != nil {
		return err
	}
	if o.Name == "" {
		return fmt.Errorf("study emit: --name is required: it names the study's Kubernetes objects (NAME-spec, NAME-s0-train, …) "+
			"and, by default, its directory on the volume; a DNS label of lower-case letters, digits and '-', e.g. --name %s", suggestK8sName(*specFile))
	}
	o.PullPolicy = corev1.PullPolicy(*pull)
	b, err := k8s.Emit(spec, o)
	if err != nil {
		return flagged("study emit", fmt.Errorf("study emit: %w", err), k8sFlagOf)
	}
	if *outFile == "" {
		_, err = env.Stdout.Write(b)
		return err
	}
	if err := ckptdir.WriteFile(*outFile, b); err != nil {
		return fmt.Errorf("study emit: %w", err)
	}
	fmt.Fprintf(env.Stderr, "sparselm study emit: wrote %s (%d stages; kubectl apply -f %s)\n", *outFile, len(study.Stages(study.Plan(spec))), *outFile)
	return nil
}

// suggestK8sName is the --name that the error for a missing one suggests:
// the name of the study's directory, when it is a Kubernetes name.
// A default name is not derived from it: two studies in directories of
// one name would then share their objects in a namespace.
func suggestK8sName(specFile string) string {
	if abs, err := filepath.Abs(specFile); err == nil {
		if name := filepath.Base(filepath.Dir(abs)); len(validation.IsDNS1123Label(name)) == 0 {
			return name
		}
	}
	return "ptb-small"
}

// k8sFlagOf is the flagOf of flagged for k8s.Options.
func k8sFlagOf(path string) (string, bool) {
	f, ok := map[string]string{"name": "--name", "namespace": "--namespace", "image": "--image", "pull_policy": "--pull-policy",
		"claim": "--claim", "claim_size": "--claim-size", "storage_class": "--storage-class", "mount": "--mount", "dir": "--dir",
		"data": "--data-dir", "memory": "--memory", "parallelism": "--parallelism", "attempts": "--attempts"}[path]
	return f, ok
}
