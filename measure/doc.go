// Package measure accounts for what the two sparsities of a language model
// save (METHOD.md, "Compute accounting"): weight sparsity per matrix,
// activity sparsity per layer, and multiply-accumulates (MACs) per token.
//
// What is counted, per token (one time step of one stream):
//
//	layer l (LSTM, G = 4H; EGRU, G = 3H), input x_t [I], recurrent input s_{t−1} [H]
//	  dense          I·G + H·G                     W [I×G] and R [H×G], every weight times every input
//	  weight-sparse  nnz(W) + nnz(R)               only non-zero weights
//	  activity-only  G·(nnz(x_t) + nnz(s_{t−1}))   every weight of the rows of non-zero inputs
//	  effective      Σ_{i: x_t,i ≠ 0} nnz(W row i) + Σ_{j: s_{t−1},j ≠ 0} nnz(R row j)
//	decoder, input h_t [E] (the last layer's output), matrix Embᵀ [E×V]
//	  dense          E·V
//	  weight-sparse  nnz(Emb)
//	  activity-only  V·nnz(h_t)
//	  effective      Σ_{j: h_t,j ≠ 0} nnz(Emb column j)
//
// The recurrent input s_{t−1} is h_{t−1} for the LSTM and the events y_{t−1}
// for the EGRU; layer 0's input is the embedding output, layer l+1's input is
// layer l's output. The embedding lookup is a copy and the gate biases, the
// EGRU's b_rz, the decoder bias and the point-wise gate arithmetic are not
// MACs. "Non-zero" means exactly non-zero values: for inputs, the values the
// model computed; for weights, the stored values (pruned weights are zero).
//
// From these: the activity factor is dense/activity-only, the weight factor
// dense/weight-sparse, their product what the two savings would give if they
// were independent, and the effective factor dense/effective what they give
// together (it differs from the product when activity and weight magnitude
// correlate). An LSTM's outputs are practically never exactly zero (a
// handful in millions underflow), so its effective count equals its
// weight-sparse count except for the zero initial state at the first step of
// a sequence, which counts as zero inputs. All counts are summed exactly over
// the evaluated tokens as integers and reported as means per token.
package measure
