// Package k8s writes a study as Kubernetes manifests: one Indexed Job
// (batch/v1, completionMode Indexed) per stage of the plan (study.Stages),
// built from the official API types and serialised with sigs.k8s.io/yaml.
//
// Emit returns one multi-document YAML file, applied with kubectl apply -f:
//
//	ConfigMap NAME-spec          study.json of the spec, copied into the
//	                             study directory by the first pod
//	PersistentVolumeClaim CLAIM  only with Options.ClaimSize (else the claim
//	                             must exist, with access mode ReadWriteMany)
//	Job NAME-s0-train            stage 0, its jobs' IDs F, F+1, …
//	Job NAME-s1-prune            stage 1, …
//	…
//	Job NAME-sK-report           the last stage, the report
//
// Pod i of the Job of a stage whose first job ID is F (the pod's
// environment FIRST_JOB) runs
//
//	sparselm study run --spec MOUNT/DIR/study.json --job $((F + JOB_COMPLETION_INDEX)) --wait
//
// through sh -c: a stage's job IDs are consecutive (study.Plan), and
// Kubernetes numbers the pods of an Indexed Job 0 … completions−1 in
// JOB_COMPLETION_INDEX. Every pod mounts the same claim at Options.Mount,
// which holds the study directory (Options.Dir) and the datasets
// (SPARSELM_DATA, Options.Data).
//
// Kubernetes Jobs have no dependencies between them: all stages start at
// once, and the order of the plan is kept by --wait, with which the runner
// blocks until the job's dependencies are done and fails if one failed.
// Waiting pods hold their resource requests, so on a cluster without room
// for every stage at once the header of the file shows how to apply one
// stage at a time (every object carries the label sparselm/stage).
//
// The image (Options.Image, sparselm:latest by default) is built by the
// user: it must hold sparselm on the PATH and a POSIX sh with cp, mv, mkdir
// and cmp (any Debian, Ubuntu or Alpine base has them).
package k8s
