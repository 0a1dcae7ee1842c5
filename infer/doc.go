// Package infer runs a trained language model forward one token at a time,
// for streaming inference (batch 1) and scoring (up to MaxBatch streams):
// two engines behind one interface, Engine, built from a *model.LM[float32]
// through its description (model.LM.Describe).
//
// What each engine computes and reads, per token and stream (letters as in
// package model: E embedding, H hidden, G gate width, V vocabulary; layer l
// has input x_t [I] and recurrent input s_{t−1} [H], the LSTM's h or the
// EGRU's events y):
//
//	engine  layer l gates                                   decoder logits [V]                 MACs it executes
//	Dense   x_t·W + b, then + s_{t−1}·R (tensor.VecMat,     bias + h_t·Embᵀ (tensor.VecMat),   I·G + H·G per layer, V·E decoder
//	        every weight of W [I×G], R [H×G])               every weight of Emb [V×E]          (not counted: the dense count)
//	Event   the same sums over i with x_t,i ≠ 0 and j with  bias + Σ_{j: h_t,j ≠ 0} h_t,j·Embᵀ  Σ_{x_t,i≠0} nnz(W row i) + Σ_{s_{t−1},j≠0}
//	        s_{t−1},j ≠ 0, reading only their surviving     row j (SparseRows of Embᵀ [E×V])    nnz(R row j) per layer; Σ_{h_t,j≠0}
//	        weights (tensor.SparseRows of W and R)                                             nnz(Emb column j) decoder
//
// The Event engine's counts (Event.MACs, when counting is on) are measure's
// effective count, executed rather than predicted: the tests check that they
// are equal to the integer over a whole split, per layer and for the decoder.
// The non-zero counts per row are measure's tables (measure.NonZeroOf), the
// ones its effective count sums: the engine adds the entries of the rows it
// actually walks, so the tests' equality with measure's count checks which
// rows each product reads, token by token.
// As in measure, the embedding lookup (a copy), the biases and the
// point-wise cell arithmetic are not MACs.
//
// The point-wise step after the products is model's, operation for
// operation: tensor.EGRUCellForward for the EGRU, and model/lstm.go's loop
// with tensor.Sigmoid and tensor.Tanh for the LSTM. The EGRU's recurrent
// product R·y is kept apart from the input gates (b_rz multiplies into z
// through r), the LSTM's is added onto x·W + b, as in the model.
//
// Exactness: the Event engine's layer outputs are bit-identical to the Dense
// engine's when tensor's Axpy and SparseRows kernels have the same vector
// width (AVX2, generic; see tensor's sparse format notes), because each gate
// receives the same products in the same order and a skipped input or
// pruned weight only adds an exact zero. The decoders too: both add the
// rows of Embᵀ in increasing j (Dense by tensor.VecMat, Event by
// SparseRows), so the logits are bit-identical as well. With vector widths
// that differ (AVX-512 Axpy, 8-wide SparseRows) an event can flip and the
// layers part; the logits then still differ by at most 2·γ_{E+1}·(|bias_v| +
// Σ_j |h_j·Emb_vj|) for the same h, γ_n = n·u/(1−n·u), u = 2⁻²⁴ (each order
// is within γ_{E+1}·Σ|terms| of the exact sum). Score
// of either engine equals train.Evaluate's perplexity to float32 rounding
// (Evaluate's input products run as one GEMM per window, in another order).
//
// The engines carry the state across every step of a stream; they have no
// BPTT windows, so a model trained with model.Config.ZeroStateWindow (c
// zeroed at every window of evaluation) is not reproduced by them.
//
// Once built and stepped once, neither engine allocates per token.
//
// Generation and per-token scores (sample.go): Sampler draws a token from a
// row of logits (temperature, then top-k, then top-p; temperature 0 is
// argmax) with a seeded math/rand/v2 generator, so a seed fixes the text;
// Generate feeds a prompt (ReadPrompt) and then its own draws through an
// engine of batch 1; ScoreTokens is Score at batch 1 with the log-probability
// of every token. Where their logits are bit-identical (above) the two
// engines generate the same text for a seed; with differing vector widths
// the logits differ by rounding (or a flipped event), and the texts part
// where a draw lands that close to a boundary between tokens' cumulative
// probabilities, or greedy meets a near tie.
package infer
