// Package prune makes the connectivity of a language model sparse:
// unstructured weight masks on the prunable matrices (model.View.Prunable:
// every layer's input matrix W and recurrent matrix R, and the embedding,
// which is also the tied decoder, when MarkEmbedding asks for it), chosen by
// a criterion and reached by a schedule (METHOD.md, "Weight pruning").
//
// A mask lives in model.Params.Mask, parallel to the parameter slab: 1 keeps
// a weight, 0 prunes it. Pruned weights are zero in Params.Data, so every
// forward pass sees them as zero; the training loop zeroes their gradients
// before clipping and the optimizer keeps them and their moments at zero;
// checkpoints store the masks ("mask.<name>" tensors), so evaluation,
// resumption and inference see the same model.
//
// Criteria (all deterministic; a weight pruned before stays pruned):
//
//	magnitude  per matrix: each chosen matrix loses its round(s·n) smallest |w|
//	global     one threshold: the round(s·Σn) smallest |w| across the chosen matrices
//	random     per matrix, uniformly at random from a seed (the control)
//
// Ties in |w| are broken by position: the earlier weight in the slab goes first.
//
// Schedules: one-shot (prune to s, fine-tune), iterative (prune to each of
// increasing levels s₁ < s₂ < …, fine-tuning after each; going from s_{k−1}
// to s_k removes (s_k − s_{k−1})/(1 − s_{k−1}) of the remaining weights) and
// gradual (Zhu & Gupta 2017, see Gradual). The fine-tuning itself is a
// train.Runner started from the pruned model; package cli wires the two.
package prune
