// Package model holds the layers of a word-level recurrent language model
// with hand-written forward and backward passes: the embedding, the LSTM and
// the event-based GRU (EGRU), the decoder tied to the embedding with its
// softmax cross-entropy, and the checkpoint format.
//
// Conventions, fixed once for the whole package:
//
//	B  batch (parallel streams)      T  time steps in a BPTT window
//	V  vocabulary size               E  embedding width (= width of the last layer, tied decoder)
//	I  input width of a layer        H  hidden width of a layer
//	G  gate width: 4H for the LSTM (gates i, f, g, o), 3H for the EGRU (gates u, r, z)
//	N  rows of the decoder = T·B
//
// Activations are time-major and row-major: x[t·B+b][i] is stored at
// x[(t·B+b)·I+i], so all T·B rows of a window are one matrix and the input
// projections of a whole window are one GEMM. Weight matrices are input-major,
// W [I×G] and R [H×G], so that row i holds the weights that input i drives;
// this is the row an event-driven engine visits when input i is non-zero.
// (PyTorch stores the transpose: see the checkpoint documentation.)
//
// All layers are generic over the float type F (float32 for training, float64
// for the finite-difference gradient checks); the float32 instantiation runs
// on the SIMD kernels of package tensor.
//
// Parameters live in one slab (Params.Data) with named views, and gradients
// in a parallel slab (Params.Grad), so that optimisers, pruning and sparsity
// counts are single loops over the slab. View names are the checkpoint's
// tensor names; code outside the layers finds a layer's matrices through
// LM.Describe (view indices, I, H, G, whether the outputs are events), never
// by cell name or by formatting a tensor name.
package model
