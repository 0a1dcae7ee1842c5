// Package train fits a language model from package model: truncated
// back-propagation through time over BPTT windows of a batchified corpus,
// AdamW or SGD with parameter groups, gradient-norm clipping, a
// constant-then-cosine learning rate, validation every epoch with
// best-checkpoint selection and early stopping, and resumable checkpoints.
//
// Determinism: every random draw of a run (initialisation, BPTT lengths,
// dropout masks) comes from one PCG generator seeded by Options.Seed whose
// state is saved in every checkpoint, so a resumed run repeats the
// uninterrupted one bit for bit, with any thread count (the kernels compute
// each output element in the same order whatever the split; the resume
// tests resume with another count).
//
// Interruption: Evaluate and Runner.Run stop within one window once their
// context is cancelled. Run checkpoints first and returns ErrInterrupted; a
// resumed run continues in the epoch, the validation or the final test pass
// where it stopped, and repeats nothing before it. A finished run resumed
// again is complete when its result holds a test result or SkipTest is set:
// Run returns the stored result and writes nothing; otherwise it runs the
// test pass once and adds it, with its time, to the result.
package train
