package train

import (
	"context"
	"fmt"
	"io"
	"math"

	"strings"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/model"
)

// EvalResult is the perplexity and activity of a model on a token sequence.
type EvalResult struct {
	Tokens   int       `json:"tokens"`   // predictions scored
	NLL      float64   `json:"nll"`      // mean negative log-likelihood per token (nats)
	PPL      float64   `json:"ppl"`      // exp(NLL)
	Sparsity []float64 `json:"sparsity"` // per layer, fraction of exactly-zero outputs
	Activity float64   `json:"activity"` // over all units, layers and steps: fraction of exactly-zero outputs
}

// Evaluate scores ids with B parallel streams in windows of bptt steps,
// carrying the state through the whole sequence (B = 1 gives the standard
// test perplexity over every token but the first). Any bptt of at least the
// stream length (len(ids)/B − 1) is one window over the whole text, with
// buffers of that size. Progress goes to w (may be nil).
//
// Evaluate checks ctx before every window: once ctx is cancelled it returns
// the result over the windows scored so far (Tokens says how many) with an
// error that wraps context.Cause(ctx), so it stops within one window.
func Evaluate(ctx context.Context, m *model.LM[float32], ids []int32, B, bptt int, w io.Writer, label string) (EvalResult, error) {
	s, err := data.Batchify(ids, B)
	if err != nil {
		return EvalResult{}, fmt.Errorf("evaluate %s: %w", label, err)
	}
	if bptt < 1 {
		return EvalResult{}, fmt.Errorf("evaluate %s: bptt %d must be positive", label, bptt)
	}
	// A window longer than a stream is scored as one as long as the stream
	// (s.Window returns T = min(bptt, L−1−t0)): with bptt ≥ L−1 the first
	// window is all L−1 steps and the next is empty. Capping bptt at L−1
	// therefore leaves every window, and every result, bit-identical to
	// those of the bptt given, and bounds the buffers by the text: bptt·B ≤
	// (L−1)·B < len(ids), so the product cannot overflow.
	bptt = min(bptt, s.L-1)
	st := m.NewState(B)
	x, y := make([]int32, bptt*B), make([]int32, bptt*B)
	var nll float64
	tokens := 0
	nz := make([]int, m.Layers())
	outs := make([]int, m.Layers())
	total := (s.L - 1) * B
	bar := NewProgress(w, label, int64(total))
	var stopped error
	for t0 := 0; ; t0 += bptt {
		if ctx.Err() != nil {
			stopped = fmt.Errorf("evaluate %s: stopped after %d of %d tokens: %w", strings.TrimSpace(label), tokens, total, context.Cause(ctx))
			break
		}
		T := s.Window(t0, bptt, x, y)
		if T == 0 {
			break
		}
		r := m.Evaluate(x[:T*B], y[:T*B], T, B, st)
		nll += r.NLL
		tokens += r.Tokens
		for l := range nz {
			nz[l] += r.NonZero[l]
			outs[l] += r.Outputs[l]
		}
		bar.Add(int64(T*B), fmt.Sprintf("ppl %.2f", math.Exp(nll/float64(tokens))))
	}
	bar.Finish()
	if stopped != nil && tokens == 0 {
		return EvalResult{}, stopped // nothing scored to average
	}
	res := EvalResult{Tokens: tokens, NLL: nll / float64(tokens)}
	res.PPL = math.Exp(res.NLL)
	var allNZ, allOut int
	for l := range nz {
		res.Sparsity = append(res.Sparsity, 1-float64(nz[l])/float64(outs[l]))
		allNZ += nz[l]
		allOut += outs[l]
	}
	res.Activity = 1 - float64(allNZ)/float64(allOut)
	return res, stopped
}
