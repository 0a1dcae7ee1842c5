package model

import (
	"math"

	"github.com/sparselm/sparselm/tensor"
)

// decoderRows is how many rows of logits the decoder holds at once: the full
// [N×V] logit matrix is never materialised (at paper scale on WikiText-2 it
// would be 70·128·33278 floats, 1.2 GB).
const decoderRows = 512

// decoder is the output layer tied to the embedding: logits = h·Embᵀ + bias,
// followed by softmax cross-entropy. Emb [V×E], bias [V].
type decoder[F Float] struct {
	V, E   int
	logits []F // [decoderRows×V] scratch
	rows   softmaxRows[F]
	// Emb packed once per call for the products of all its row chunks
	// when there are several (three at 35·32 rows), Embᵀ for the logits and
	// Emb for dh, where Gemm would pack it again for every chunk; at 2
	// threads each half of dh would also pack all of Emb. A single chunk
	// (evaluation: 35 or 350 rows) keeps Gemm's packing, which packs each
	// panel just before its use: packing all of Emb first made a batch-10
	// evaluation window 7% slower and a batch-1 one 12%.
	embT, embN stepMat[F]
}

// softmaxRows is the row-wise part of the decoder, split across threads by
// tensor.Parallel: for each row of logits it adds the bias, computes the
// row's NLL of its target and, with store, turns the row into
// scale·(softmax − onehot(target)).
type softmaxRows[F Float] struct {
	logits, bias []F
	V            int
	targets      []int32
	nll          []float64 // per row, summed in order by the caller
	store        bool
	scale        F
}

func (s *softmaxRows[F]) Range(lo, hi int) {
	V := s.V
	for i := lo; i < hi; i++ {
		row := s.logits[i*V : (i+1)*V]
		addTo(row, s.bias)
		target := s.targets[i]
		targetLogit := float64(row[target])
		maxv, sum := softmaxParts(row, s.store)
		s.nll[i] = float64(maxv) + math.Log(float64(sum)) - targetLogit
		if !s.store {
			continue
		}
		// row holds e^{l−max}; turn it into scale·(softmax − onehot(target)).
		scaleSlice(row, s.scale/F(sum))
		row[target] -= s.scale
	}
}

// forwardBackward computes the summed negative log-likelihood of targets
// [N] under h [N×E]. When dh is non-nil it also writes dh [N×E] and
// accumulates dEmb and dBias for the loss scale·ΣNLL (scale is 1/N for a mean).
func (d *decoder[F]) forwardBackward(h []F, targets []int32, emb, bias []F, dh, dEmb, dBias []F, scale F) float64 {
	N, V, E := len(targets), d.V, d.E
	if len(h) != N*E || (dh != nil && len(dh) != N*E) {
		panic("model: decoder: bad activation length")
	}
	d.logits = grow(d.logits, min(N, decoderRows)*V)
	sr := &d.rows
	sr.nll = grow(sr.nll, min(N, decoderRows))
	chunked := N > decoderRows
	if chunked {
		d.embT.set(emb, E, V, true)
		if dh != nil {
			d.embN.set(emb, V, E, false)
		}
	}
	var nll float64
	for r0 := 0; r0 < N; r0 += decoderRows {
		rows := min(decoderRows, N-r0)
		logits := d.logits[:rows*V]
		hc := h[r0*E : (r0+rows)*E]
		if chunked {
			d.embT.mul(logits, hc, rows, false) // logits = hc·Embᵀ
		} else {
			matmulTB(logits, hc, emb, rows, E, V, false)
		}
		*sr = softmaxRows[F]{logits: logits, bias: bias, V: V, targets: targets[r0 : r0+rows],
			nll: sr.nll, store: dh != nil, scale: scale}
		// A row of V = 10000 is a few µs of work: two rows per goroutine at least.
		tensor.Parallel(rows, 2, sr)
		for _, v := range sr.nll[:rows] {
			nll += v
		}
		sr.logits, sr.bias, sr.targets = nil, nil, nil
		if dh != nil {
			if chunked {
				d.embN.mul(dh[r0*E:(r0+rows)*E], logits, rows, false) // dh = dlogits·Emb
			} else {
				matmul(dh[r0*E:(r0+rows)*E], logits, emb, rows, V, E, false)
			}
			matmulTA(dEmb, logits, hc, V, rows, E, true)
			addColumnSums(dBias, logits)
		}
	}
	return nll
}

// softmaxParts returns the maximum of row and Σ e^{row−max} (accumulated in
// float64: V = 33278 float32 terms would lose ~1e-4 relative). With store,
// row is overwritten by e^{row−max}. float32 runs on the SIMD kernels.
func softmaxParts[F Float](row []F, store bool) (F, float64) {
	if r, ok := f32(row); ok {
		maxv := tensor.Max(r)
		dst := r
		if !store {
			dst = nil
		}
		return F(maxv), tensor.ExpShift(dst, r, maxv)
	}
	maxv := row[0]
	for _, v := range row {
		maxv = max(maxv, v)
	}
	var sum float64
	for j, v := range row {
		e := exp(v - maxv)
		if store {
			row[j] = e
		}
		sum += float64(e)
	}
	return maxv, sum
}
