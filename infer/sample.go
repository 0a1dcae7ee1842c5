package infer

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sparselm/sparselm/config"
	"github.com/sparselm/sparselm/data"
)

// SampleOptions says how Sampler turns a row of logits [V] into a token.
// The steps run in this order (as in the common decoders):
//
//	temperature  p_v ∝ exp(logit_v / T); T = 0 is greedy (argmax, the lowest id on a tie)
//	top-k        keep the K tokens of largest logit (ties broken by lower id); 0 keeps all
//	top-p        of those, by decreasing probability, keep the smallest prefix whose
//	             mass is ≥ P (renormalised after top-k); 1 keeps all
//
// and one token is drawn from what is kept, renormalised.
type SampleOptions struct {
	Temperature float64 `json:"temperature"` // T ≥ 0
	TopK        int     `json:"top_k"`       // K ≥ 0
	TopP        float64 `json:"top_p"`       // P in (0, 1]
}

// Validate returns a *config.FieldError naming the first field out of range.
func (o SampleOptions) Validate() error {
	switch {
	case !(o.Temperature >= 0) || math.IsInf(o.Temperature, 1):
		return config.Invalid("temperature", o.Temperature, "must be a finite number ≥ 0 (0: greedy)")
	case o.TopK < 0:
		return config.Invalid("top_k", o.TopK, "must be ≥ 0 (0: all tokens)")
	case !(o.TopP > 0 && o.TopP <= 1):
		return config.Invalid("top_p", o.TopP, "must be in (0, 1] (1: all tokens)")
	}
	return nil
}

// Sampler draws tokens from rows of logits with a seeded generator
// (math/rand/v2 PCG): the same options, seed and logits give the same
// tokens. It keeps scratch of the vocabulary's size and is not safe for
// concurrent use.
type Sampler struct {
	opts  SampleOptions
	rng   *rand.Rand
	order []int32   // [V] token ids, sorted by decreasing logit when top-k or top-p is on
	prob  []float64 // [V] unnormalised probabilities of order's tokens
}

// NewSampler returns a sampler for opts seeded with seed, or the error of
// opts.Validate.
func NewSampler(opts SampleOptions, seed uint64) (*Sampler, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("infer: sample: %w", err)
	}
	return &Sampler{opts: opts, rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}, nil
}

// Sample returns a token drawn from logits [V] under the sampler's options.
// It panics if logits is empty.
func (s *Sampler) Sample(logits []float32) int32 {
	if len(logits) == 0 {
		panic("infer: Sample: empty logits")
	}
	if s.opts.Temperature == 0 {
		return argmax(logits)
	}
	n := s.keep(logits)
	var total float64
	for _, p := range s.prob[:n] {
		total += p
	}
	u := s.rng.Float64() * total
	for i, p := range s.prob[:n] {
		if u < p {
			return s.order[i]
		}
		u -= p
	}
	return s.order[n-1] // u rounded past the last mass
}

// keep fills order and prob with the tokens that temperature, top-k and
// top-p keep, in their first n places, and returns n.
func (s *Sampler) keep(logits []float32) int {
	V := len(logits)
	if len(s.prob) != V {
		s.order, s.prob = make([]int32, V), make([]float64, V)
	}
	s.order = s.order[:V] // topK leaves it k long
	k, p := s.opts.TopK, s.opts.TopP
	if k == 0 || k > V {
		k = V
	}
	// before orders tokens by logit, the lower id first on a tie.
	before := func(a, b int32) int {
		if c := cmp.Compare(logits[b], logits[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	}
	var maxv float64
	switch {
	case k < V:
		// Only the k best are needed: select them (O(V log k)), then
		// sort those k; the same first k, in the same order, as a full sort.
		s.order = topK(s.order[:0], logits, k, before)
		maxv = float64(logits[s.order[0]])
	case p < 1:
		for v := range s.order {
			s.order[v] = int32(v)
		}
		slices.SortFunc(s.order, before)
		maxv = float64(logits[s.order[0]])
	default:
		for v := range s.order {
			s.order[v] = int32(v)
		}
		maxv = float64(logits[argmax(logits)])
	}
	n := k
	var total float64
	for i, v := range s.order[:n] {
		s.prob[i] = math.Exp((float64(logits[v]) - maxv) / s.opts.Temperature)
		total += s.prob[i]
	}
	if p < 1 {
		var mass float64
		for i := range n {
			mass += s.prob[i]
			if mass >= p*total {
				n = i + 1
				break
			}
		}
	}
	return n
}

// topK writes into dst (reusing its capacity) the k tokens of logits that
// come first under before, in that order. It keeps a heap of the k best
// seen, the worst at its root.
func topK(dst []int32, logits []float32, k int, before func(a, b int32) int) []int32 {
	h := dst[:0]
	down := func(i int) {
		for {
			l, worst := 2*i+1, i
			if l < len(h) && before(h[l], h[worst]) > 0 {
				worst = l
			}
			if r := l + 1; r < len(h) && before(h[r], h[worst]) > 0 {
				worst = r
			}
			if worst == i {
				return
			}
			h[i], h[worst] = h[worst], h[i]
			i = worst
		}
	}
	for v := range logits {
		id := int32(v)
		if len(h) < k {
			h = append(h, id)
			for i := len(h) - 1; i > 0; {
				parent := (i - 1) / 2
				if before(h[i], h[parent]) <= 0 {
					break
				}
				h[i], h[parent] = h[parent], h[i]
				i = parent
			}
			continue
		}
		if before(id, h[0]) < 0 {
			h[0] = id
			down(0)
		}
	}
	slices.SortFunc(h, before)
	return h
}

// argmax returns the id of the largest logit, the lowest id on a tie.
func argmax(logits []float32) int32 {
	best := 0
	for v, x := range logits {
		if x > logits[best] {
			best = v
		}
	}
	return int32(best)
}

// Prompt is a text read into token ids with a vocabulary.
type Prompt struct {
	IDs     []int32
	Words   int // words of the text
	Unknown int // words not in the vocabulary, read as <unk>
}

// ReadPrompt splits text at white space and maps each word to its id in v,
// words not in v to <unk> (counted in Unknown); a line break is not an
// <eos>: the words are one sequence. It returns an error for a text
// without words, for one made only of unknown words (it would condition on
// nothing but <unk>) and for an unknown word when v has no <unk>.
func ReadPrompt(text string, v *data.Vocab) (*Prompt, error) {
	if !utf8.ValidString(text) {
		// As the corpus and score's texts are read (package data).
		return nil, fmt.Errorf("infer: the prompt %q is not valid UTF-8", text)
	}
	words := strings.Fields(text)
	if len(words) == 0 {
		return nil, fmt.Errorf("infer: the prompt %q has no words", text)
	}
	unk, hasUnk := v.ID(data.UNK)
	p := &Prompt{Words: len(words)}
	for _, w := range words {
		id, ok := v.ID(w)
		if !ok {
			if !hasUnk {
				return nil, fmt.Errorf("infer: prompt word %q is not in the vocabulary, which has no %s", w, data.UNK)
			}
			id = unk
			p.Unknown++
		}
		p.IDs = append(p.IDs, id)
	}
	if p.Unknown == p.Words {
		return nil, fmt.Errorf("infer: none of the %d words of the prompt %q is in the vocabulary (all would be read as %s)", p.Words, text, data.UNK)
	}
	return p, nil
}

// Generate feeds prompt through e (batch 1) from a zero state, then draws n
// tokens with s, each fed back as the next input, calling emit with each
// token as soon as it is drawn. It returns emit's first error, or an error
// wrapping context.Cause(ctx) once ctx is cancelled (checked before every
// step). It panics if e.Batch() != 1 or prompt is empty (programmer
// errors: ReadPrompt refuses an empty prompt).
func Generate(ctx context.Context, e Engine, s *Sampler, prompt []int32, n int, emit func(id int32) error) error {
	if e.Batch() != 1 {
		panic(fmt.Sprintf("infer: Generate: engine batch %d, want 1", e.Batch()))
	}
	if len(prompt) == 0 {
		panic("infer: Generate: empty prompt")
	}
	e.Reset()
	logits := make([]float32, e.Vocab())
	id := []int32{0}
	for _, tok := range prompt {
		if ctx.Err() != nil {
			return fmt.Errorf("infer: generate: stopped in the prompt: %w", context.Cause(ctx))
		}
		id[0] = tok
		e.Step(id, logits)
	}
	for i := range n {
		if ctx.Err() != nil {
			return fmt.Errorf("infer: generate: stopped after %d of %d tokens: %w", i, n, context.Cause(ctx))
		}
		if i > 0 {
			e.Step(id, logits)
		}
		id[0] = s.Sample(logits)
		if err := emit(id[0]); err != nil {
			return err
		}
	}
	return nil
}

// TokenScore is the score of one predicted token.
type TokenScore struct {
	Pos     int     // position of the token in the sequence (≥ 1: the first is only context)
	ID      int32   // the token
	LogProb float64 // log p(token | the tokens before it), natural log
}

// Bits returns the surprisal −log₂ p of the token.
func (t TokenScore) Bits() float64 { return -t.LogProb / math.Ln2 }

// ScoreTokens is Score for one stream (e.Batch() must be 1), calling emit
// with the score of every predicted token ids[1:], in order. Its result
// is Score's (the same sum in the same order). It panics if e.Batch() != 1.
func ScoreTokens(ctx context.Context, e Engine, ids []int32, emit func(TokenScore) error) (ScoreResult, error) {
	if e.Batch() != 1 {
		panic(fmt.Sprintf("infer: ScoreTokens: engine batch %d, want 1", e.Batch()))
	}
	if len(ids) < 2 {
		return ScoreResult{}, fmt.Errorf("infer: score: %d tokens, need at least 2 (one to predict from, one to predict)", len(ids))
	}
	e.Reset()
	logits := make([]float32, e.Vocab())
	var res ScoreResult
	var nll float64
	var err error
	for t := 1; t < len(ids); t++ {
		if (t-1)%256 == 0 && ctx.Err() != nil {
			err = fmt.Errorf("infer: score: stopped after %d tokens: %w", res.Tokens, context.Cause(ctx))
			break
		}
		e.Step(ids[t-1:t], logits)
		l := rowNLL(logits, ids[t])
		nll += l
		res.Tokens++
		if err = emit(TokenScore{Pos: t, ID: ids[t], LogProb: -l}); err != nil {
			break
		}
	}
	if res.Tokens > 0 {
		res.NLL = nll / float64(res.Tokens)
		res.PPL = math.Exp(res.NLL)
	}
	return res, err
}
