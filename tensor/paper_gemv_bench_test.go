package tensor

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// The dense matrix-vector products of one token of an EGRU language model
// at batch 1, as the Dense engine of package infer computes them: per layer
// gates [G] += x·W with W [I×G] and rec [G] += y·R with R [H×G] (VecMat,
// m = 1), then logits [V] += h·Embᵀ with Embᵀ [E×V] (VecMat on the
// engine's transposed copy, m = 1; a shape marked nt is the decoder on Emb
// [V×E] by MatVec instead, which the engine no longer uses: it measured
// half as fast).
// bench/compare_infer.sh times the same list through OpenBLAS's
// cblas_sgemv (bench/sgemv.py parses the literal form
// {"model", "name", k, n, nt}: keep it), shape by shape and as a whole token:
//
//	go test -run '^$' -bench '^BenchmarkPaperGEMV$/^paper$' -benchtime 0.3s -count 3 ./tensor

// gemvShape is one product of a token: y [n] += x [k]·W [k×n] (VecMat) or,
// if nt, the decoder's y [n] += Emb [n×k]·h [k] (MatVec).
type gemvShape struct {
	model, name string
	k, n        int
	nt          bool
}

// paperGEMVShapes lists, per model, the products of one token in the order
// the engine runs them (layer 0 W and R, layer 1, layer 2, decoder). The
// name ends in K×N: k×n for W and R, E×V for the decoder.
var paperGEMVShapes = []gemvShape{
	// paper EGRU: E = 750, H = 1350, 1350, 750, G = 3H, V = 10000 (PTB).
	{"paper", "l0_W_750x4050", 750, 4050, false},
	{"paper", "l0_R_1350x4050", 1350, 4050, false},
	{"paper", "l1_W_1350x4050", 1350, 4050, false},
	{"paper", "l1_R_1350x4050", 1350, 4050, false},
	{"paper", "l2_W_1350x2250", 1350, 2250, false},
	{"paper", "l2_R_750x2250", 750, 2250, false},
	{"paper", "dec_T_750x10000", 750, 10000, false},
	// The same layers with the WikiText-2 vocabulary, V = 33278.
	{"paper_v33278", "l0_W_750x4050", 750, 4050, false},
	{"paper_v33278", "l0_R_1350x4050", 1350, 4050, false},
	{"paper_v33278", "l1_W_1350x4050", 1350, 4050, false},
	{"paper_v33278", "l1_R_1350x4050", 1350, 4050, false},
	{"paper_v33278", "l2_W_1350x2250", 1350, 2250, false},
	{"paper_v33278", "l2_R_750x2250", 750, 2250, false},
	{"paper_v33278", "dec_T_750x33278", 750, 33278, false},
	// tiny: E = 16, H = 32, 32, 16, V = 100, for smoke runs (QUICK=1).
	{"tiny", "l0_W_16x96", 16, 96, false},
	{"tiny", "l0_R_32x96", 32, 96, false},
	{"tiny", "l1_W_32x96", 32, 96, false},
	{"tiny", "l1_R_32x96", 32, 96, false},
	{"tiny", "l2_W_32x48", 32, 48, false},
	{"tiny", "l2_R_16x48", 16, 48, false},
	{"tiny", "dec_T_16x100", 16, 100, false},
}

// gemvOperands holds the random x, W and y of one shape.
type gemvOperands struct {
	s       gemvShape
	x, w, y []float32
}

func newGEMVOperands(s gemvShape) *gemvOperands {
	r := rand.New(rand.NewPCG(3, uint64(s.k*s.n)))
	// W on huge pages, as the Dense engine holds its weights (and as
	// numpy gives OpenBLAS arrays of 4 MiB and more in bench/sgemv.py).
	w := append(MakeHuge(s.k * s.n)[:0], randSlice(r, s.k*s.n)...)
	return &gemvOperands{s: s, x: randSlice(r, s.k), w: w, y: make([]float32, s.n)}
}

// run computes one product: the kernel the Dense engine calls for it.
func (o *gemvOperands) run() {
	if o.s.nt {
		MatVec(1, o.s.k, o.s.n, o.x, o.w, o.y)
		return
	}
	VecMat(1, o.s.k, o.s.n, o.x, o.w, o.y)
}

// gemvToken is one model's products of a token, in order.
type gemvToken struct {
	model  string
	shapes []gemvShape
}

// gemvTokens groups paperGEMVShapes by model, in order of appearance.
func gemvTokens() []gemvToken {
	var toks []gemvToken
	for _, s := range paperGEMVShapes {
		if len(toks) == 0 || toks[len(toks)-1].model != s.model {
			toks = append(toks, gemvToken{model: s.model})
		}
		toks[len(toks)-1].shapes = append(toks[len(toks)-1].shapes, s)
	}
	return toks
}

// BenchmarkPaperGEMV times each product of a token alone (the same matrix
// every call, so one that fits the last-level cache stays there) and the
// whole token, every product in turn (what the engine streams per token:
// 127 MB for paper). It reports ns/op and GB/s of weights read (4·k·n
// bytes per product).
func BenchmarkPaperGEMV(b *testing.B) {
	defer SetThreads(Threads())
	SetThreads(1)
	for _, tok := range gemvTokens() {
		model, shapes := tok.model, tok.shapes
		timed := func(b *testing.B, ops []*gemvOperands) {
			var bytes float64
			for _, o := range ops {
				o.run() // warm up
				bytes += 4 * float64(o.s.k*o.s.n)
			}
			for b.Loop() {
				for _, o := range ops {
					o.run()
				}
			}
			b.ReportMetric(bytes*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "GB/s")
		}
		for _, s := range shapes {
			b.Run(model+"/"+s.name, func(b *testing.B) { timed(b, []*gemvOperands{newGEMVOperands(s)}) })
		}
		b.Run(model+"/token", func(b *testing.B) {
			ops := make([]*gemvOperands, len(shapes))
			for i, s := range shapes {
				ops[i] = newGEMVOperands(s)
			}
			timed(b, ops)
		})
	}
}

// TestPaperGEMVShapes checks that each model's list is one token of an
// EGRU stack: layer 0's input is E wide, each W and R of a layer have
// G = 3H columns with R H×G, each layer's input is the previous layer's
// H, the last H is E, the decoder comes last as E×V, and every name ends
// in its K×N. A typo in a hand-written dimension fails here rather than
// skewing the comparison with OpenBLAS.
func TestPaperGEMVShapes(t *testing.T) {
	for _, tok := range gemvTokens() {
		model, shapes := tok.model, tok.shapes
		if len(shapes) < 3 || len(shapes)%2 != 1 {
			t.Fatalf("%s: %d shapes, want pairs W, R per layer and a decoder", model, len(shapes))
		}
		dec := shapes[len(shapes)-1]
		E := dec.k
		in := E
		for l := 0; l < len(shapes)/2; l++ {
			w, r := shapes[2*l], shapes[2*l+1]
			H := r.k
			switch {
			case w.nt || r.nt || l == len(shapes)/2-1 && dec.name[:4] != "dec_":
				t.Errorf("%s layer %d: W or R marked as the decoder", model, l)
			case w.k != in:
				t.Errorf("%s layer %d: W has %d rows, want the input width %d", model, l, w.k, in)
			case w.n != 3*H || r.n != 3*H:
				t.Errorf("%s layer %d: W has %d and R %d columns, want G = 3H = %d", model, l, w.n, r.n, 3*H)
			}
			in = H
		}
		if in != E {
			t.Errorf("%s: the decoder reads %d wide outputs, the last layer is %d wide", model, E, in)
		}
		for _, s := range shapes {
			if suffix := fmt.Sprintf("_%dx%d", s.k, s.n); !strings.HasSuffix(s.name, suffix) {
				t.Errorf("%s/%s: name does not end in %s", model, s.name, suffix)
			}
		}
	}
}
