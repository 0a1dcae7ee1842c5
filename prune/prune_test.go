package prune

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/sparselm/sparselm/model"
)

// tinyModel is a randomly initialised model small enough to check by brute force.
func tinyModel(t testing.TB, cell string) *model.LM[float32] {
	t.Helper()
	c := model.Config{Cell: cell, Vocab: 11, Embed: 5, Hidden: []int{7, 5},
		ThresholdMean: 0.2, PseudoHeight: 3.6, PseudoWidth: 3.6}
	m, err := model.New[float32](c, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// bruteForce returns, for the weights at positions pos, the set that the
// k smallest magnitudes (ties by position) select, by sorting them all.
func bruteForce(p *model.Params[float32], pos []int, k int) map[int]bool {
	sorted := slices.Clone(pos)
	slices.SortStableFunc(sorted, func(a, b int) int {
		if c := cmp.Compare(math.Abs(float64(p.Data[a])), math.Abs(float64(p.Data[b]))); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	set := map[int]bool{}
	for _, i := range sorted[:k] {
		set[i] = true
	}
	return set
}

func positions(v model.View) []int {
	var pos []int
	for j := v.Offset; j < v.Offset+v.Len(); j++ {
		pos = append(pos, j)
	}
	return pos
}

func pruned(p *model.Params[float32], v model.View) int {
	n := 0
	for _, m := range p.Mask[v.Offset : v.Offset+v.Len()] {
		if m == 0 {
			n++
		}
	}
	return n
}

func TestMagnitudePerMatrixMatchesSort(t *testing.T) {
	for _, cell := range []string{model.CellLSTM, model.CellEGRU} {
		m := tinyModel(t, cell)
		p := &m.Params
		orig := slices.Clone(p.Data)
		// Make ties: copy a few magnitudes so the position rule decides.
		i, _ := p.Lookup("layers.0.W")
		w := p.Value(i)
		w[3], w[9] = w[1], -w[1]
		copy(orig, p.Data)
		const s = 0.6
		if err := Prune(p, Magnitude, s, 0); err != nil {
			t.Fatal(err)
		}
		ref := &model.Params[float32]{Data: orig}
		for _, vi := range Targets(p) {
			v := p.Views[vi]
			k := int(math.Round(s * float64(v.Len())))
			want := bruteForce(ref, positions(v), k)
			for j := v.Offset; j < v.Offset+v.Len(); j++ {
				if (p.Mask[j] == 0) != want[j] {
					t.Fatalf("%s %s: element %d pruned=%v, brute force says %v", cell, v.Name, j-v.Offset, p.Mask[j] == 0, want[j])
				}
				if p.Mask[j] == 0 && p.Data[j] != 0 {
					t.Fatalf("%s %s: pruned weight %d is %v, want 0", cell, v.Name, j-v.Offset, p.Data[j])
				}
				if p.Mask[j] == 1 && p.Data[j] != orig[j] {
					t.Fatalf("%s %s: kept weight changed", cell, v.Name)
				}
			}
			if got := pruned(p, v); got != k {
				t.Errorf("%s %s: %d pruned, want round(%v·%d) = %d", cell, v.Name, got, s, v.Len(), k)
			}
		}
		if ei, _ := p.Lookup(EmbeddingView); pruned(p, p.Views[ei]) != 0 {
			t.Errorf("the embedding was pruned without MarkEmbedding")
		}
	}
}

func TestGlobalMatchesSortAndDiffersFromPerMatrix(t *testing.T) {
	m := tinyModel(t, model.CellEGRU)
	p := &m.Params
	if err := MarkEmbedding(p); err != nil {
		t.Fatal(err)
	}
	orig := slices.Clone(p.Data)
	const s = 0.5
	if err := Prune(p, Global, s, 0); err != nil {
		t.Fatal(err)
	}
	var all []int
	for _, vi := range Targets(p) {
		all = append(all, positions(p.Views[vi])...)
	}
	k := int(math.Round(s * float64(len(all))))
	want := bruteForce(&model.Params[float32]{Data: orig}, all, k)
	n := 0
	for _, j := range all {
		if (p.Mask[j] == 0) != want[j] {
			t.Fatalf("element %d: pruned=%v, brute force says %v", j, p.Mask[j] == 0, want[j])
		}
		if p.Mask[j] == 0 {
			n++
		}
	}
	if n != k {
		t.Errorf("%d pruned, want %d", n, k)
	}
	// The embedding is drawn from U(−0.1, 0.1), the layers from U(−1/√H, 1/√H):
	// one global threshold prunes the embedding far more than the layers,
	// where per-matrix pruning gives every matrix the same sparsity.
	ei, _ := p.Lookup(EmbeddingView)
	li, _ := p.Lookup("layers.0.R")
	embS := float64(pruned(p, p.Views[ei])) / float64(p.Views[ei].Len())
	layS := float64(pruned(p, p.Views[li])) / float64(p.Views[li].Len())
	if !(embS > 0.9 && layS < 0.45) {
		t.Errorf("global pruning: embedding %.2f, layers.0.R %.2f sparse; want the small embedding weights to go first", embS, layS)
	}
}

func TestRandomIsExactDeterministicAndNested(t *testing.T) {
	run := func(seed uint64, levels ...float64) []float32 {
		m := tinyModel(t, model.CellLSTM)
		for _, s := range levels {
			if err := Prune(&m.Params, Random, s, seed); err != nil {
				t.Fatal(err)
			}
			for _, vi := range Targets(&m.Params) {
				v := m.Params.Views[vi]
				if got, want := pruned(&m.Params, v), int(math.Round(s*float64(v.Len()))); got != want {
					t.Fatalf("%s at %v: %d pruned, want %d", v.Name, s, got, want)
				}
			}
		}
		return m.Params.Mask
	}
	a, b, c := run(5, 0.7), run(5, 0.7), run(6, 0.7)
	if !slices.Equal(a, b) {
		t.Error("random pruning with the same seed gave different masks")
	}
	if slices.Equal(a, c) {
		t.Error("random pruning with different seeds gave the same mask")
	}
	// Iterating 0.3 → 0.7 removes only kept weights and ends at the one-shot mask.
	if d := run(5, 0.3, 0.7); !slices.Equal(a, d) {
		t.Error("random pruning 0.3 then 0.7 differs from 0.7 at once")
	}
}

func TestIterativeMasksOnlyGrow(t *testing.T) {
	m := tinyModel(t, model.CellEGRU)
	p := &m.Params
	if err := Prune(p, Magnitude, 0.5, 0); err != nil {
		t.Fatal(err)
	}
	first := slices.Clone(p.Mask)
	// Perturb the kept weights as fine-tuning would, then prune further.
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range p.Data {
		if p.Mask[i] == 1 {
			p.Data[i] += float32(rng.NormFloat64() * 0.05)
		}
	}
	if err := Prune(p, Magnitude, 0.75, 0); err != nil {
		t.Fatal(err)
	}
	for i := range first {
		if first[i] == 0 && p.Mask[i] != 0 {
			t.Fatalf("weight %d was pruned at 50%% and revived at 75%%", i)
		}
	}
	if got := Sparsity(p); math.Abs(got-0.75) > 0.01 {
		t.Errorf("sparsity %v, want 0.75", got)
	}
	if err := Prune(p, Magnitude, 0.5, 0); err == nil || !strings.Contains(err.Error(), "masks only grow") {
		t.Errorf("pruning back to 50%%: err = %v, want a refusal", err)
	}
}

func TestGradualSchedule(t *testing.T) {
	g := Gradual{Initial: 0.1, Final: 0.9, Start: 100, Every: 10, Updates: 8, Criterion: Magnitude}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		t    int64
		want float64
	}{
		{0, 0.1}, {100, 0.1}, {140, 0.9 + (0.1-0.9)*0.125}, {120, 0.9 + (0.1-0.9)*math.Pow(0.75, 3)},
		{180, 0.9}, {1000, 0.9},
	}
	for _, c := range cases {
		if got := g.Sparsity(c.t); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("s(%d) = %v, want %v", c.t, got, c.want)
		}
	}
	var due []int64
	for s := int64(0); s < 300; s++ {
		if g.Due(s) {
			due = append(due, s)
		}
	}
	if want := []int64{100, 110, 120, 130, 140, 150, 160, 170, 180}; !slices.Equal(due, want) {
		t.Errorf("updates at %v, want %v", due, want)
	}
	// Stepping a model through the schedule ends at the final sparsity, then freezes.
	m := tinyModel(t, model.CellLSTM)
	for s := int64(0); s <= 200; s++ {
		if _, err := g.Step(s, &m.Params); err != nil {
			t.Fatal(err)
		}
		if s == 140 {
			if got := Sparsity(&m.Params); math.Abs(got-g.Sparsity(140)) > 0.02 {
				t.Errorf("sparsity at step 140: %v, want about %v", got, g.Sparsity(140))
			}
		}
	}
	if got := Sparsity(&m.Params); math.Abs(got-0.9) > 0.01 {
		t.Errorf("final sparsity %v, want 0.9", got)
	}
}

func TestBadInput(t *testing.T) {
	m := tinyModel(t, model.CellEGRU)
	p := &m.Params
	for _, s := range []float64{-0.1, 1, 1.5, math.NaN()} {
		if err := Prune(p, Magnitude, s, 0); err == nil || !strings.Contains(err.Error(), "[0, 1)") {
			t.Errorf("sparsity %v: err = %v", s, err)
		}
	}
	if err := Prune(p, Criterion("largest"), 0.5, 0); err == nil || !strings.Contains(err.Error(), "unknown criterion") {
		t.Errorf("unknown criterion: err = %v", err)
	}
	if _, err := ParseSchedule("weekly"); err == nil {
		t.Error("unknown schedule accepted")
	}
	if err := CheckLevels([]float64{0.5, 0.5, 0.9}, Iterative); err == nil || !strings.Contains(err.Error(), "must increase") {
		t.Errorf("non-increasing levels: err = %v", err)
	}
	if err := CheckLevels([]float64{0.9, 0.5}, OneShot); err != nil {
		t.Errorf("one-shot levels need not increase: %v", err)
	}
	if err := CheckLevels([]float64{0.5, 0.9}, Gradually); err == nil {
		t.Error("two gradual targets accepted")
	}
	if err := RequireMasks(p, 0, "ckpt"); err == nil || !strings.Contains(err.Error(), "no pruning masks") {
		t.Errorf("no masks: err = %v", err)
	}
	if err := SetMask(p, "layers.0.W", make([]uint8, 3)); err == nil || !strings.Contains(err.Error(), "has 3 elements") {
		t.Errorf("short mask: err = %v", err)
	}
	if err := SetMask(p, "layers.0.b", make([]uint8, 21)); err == nil || !strings.Contains(err.Error(), "not prunable") {
		t.Errorf("mask on a bias: err = %v", err)
	}
	i, _ := p.Lookup("layers.1.R")
	bad := make([]uint8, p.Views[i].Len())
	bad[2] = 7
	if err := SetMask(p, "layers.1.R", bad); err == nil || !strings.Contains(err.Error(), "0 or 1") {
		t.Errorf("mask holding 7: err = %v", err)
	}
	ok := make([]uint8, p.Views[i].Len())
	ok[0] = 1
	if err := SetMask(p, "layers.1.R", ok); err != nil {
		t.Fatal(err)
	}
	if err := RequireMasks(p, 0.5, "ckpt"); err == nil || !strings.Contains(err.Error(), "sparse, expected") {
		t.Errorf("too little sparsity: err = %v", err)
	}
	g := Gradual{Initial: 0.5, Final: 0.2, Every: 1, Updates: 1, Criterion: Magnitude}
	if err := g.Validate(); err == nil {
		t.Error("decreasing gradual schedule accepted")
	}
}

// TestTiesAtTheCutGoToTheEarlierWeight puts the cut inside a run of equal
// magnitudes: the documented rule (package doc, README "Pruning") prunes the
// earlier weights of the run, in slab order, for one matrix and across
// matrices alike, and a strictly smaller magnitude still goes before them.
func TestTiesAtTheCutGoToTheEarlierWeight(t *testing.T) {
	t.Run("per-matrix", func(t *testing.T) {
		m := tinyModel(t, model.CellEGRU)
		p := &m.Params
		i, _ := p.Lookup("layers.0.W")
		w := p.Value(i)
		for j := range w {
			w[j] = 0.3
			if j%2 == 1 {
				w[j] = -0.3 // the sign must not matter
			}
		}
		last := len(w) - 1
		w[last] = 0.1 // the one strictly smaller magnitude, at the end
		const s = 0.5
		if err := Prune(p, Magnitude, s, 0); err != nil {
			t.Fatal(err)
		}
		k := int(math.Round(s * float64(len(w))))
		mask := p.Mask[p.Views[i].Offset : p.Views[i].Offset+len(w)]
		for j, keep := range mask {
			want := j < k-1 || j == last // the smallest, then the earliest k−1 of the ties
			if (keep == 0) != want {
				t.Fatalf("weight %d of %d: pruned=%v, want %v (k = %d)", j, len(w), keep == 0, want, k)
			}
		}
	})
	t.Run("global", func(t *testing.T) {
		m := tinyModel(t, model.CellLSTM)
		p := &m.Params
		var all []int // the targets' slab positions, ascending
		for _, vi := range Targets(p) {
			for j, pos := range positions(p.Views[vi]) {
				p.Data[pos] = 0.2
				if j%3 == 0 {
					p.Data[pos] = -0.2
				}
				all = append(all, pos)
			}
		}
		const s = 0.3
		if err := Prune(p, Global, s, 0); err != nil {
			t.Fatal(err)
		}
		k := int(math.Round(s * float64(len(all))))
		if first := p.Views[Targets(p)[0]].Len(); k <= first {
			t.Fatalf("the cut (%d) must fall past the first matrix (%d weights) to test ties across matrices", k, first)
		}
		for n, pos := range all {
			if want := n < k; (p.Mask[pos] == 0) != want {
				t.Fatalf("target weight %d (slab %d): pruned=%v, want %v (the first %d in slab order)", n, pos, p.Mask[pos] == 0, want, k)
			}
		}
	})
}

// TestGradualConstantSparsity: initial = final is a valid gradual schedule,
// a constant one: nothing is pruned before t0, the first update reaches the
// sparsity and later updates keep the same mask.
func TestGradualConstantSparsity(t *testing.T) {
	g := Gradual{Initial: 0.5, Final: 0.5, Start: 10, Every: 5, Updates: 4, Criterion: Magnitude}
	if err := g.Validate(); err != nil {
		t.Fatalf("initial = final refused: %v", err)
	}
	for s := int64(0); s <= 40; s++ {
		if got := g.Sparsity(s); got != 0.5 {
			t.Errorf("s(%d) = %v, want 0.5 throughout", s, got)
		}
	}
	m := tinyModel(t, model.CellEGRU)
	var first []float32
	updates := 0
	for s := int64(0); s <= 40; s++ {
		did, err := g.Step(s, &m.Params)
		if err != nil {
			t.Fatalf("step %d: %v", s, err)
		}
		if did {
			updates++
		}
		switch {
		case s < g.Start:
			if got := Sparsity(&m.Params); got != 0 {
				t.Fatalf("step %d, before t0: sparsity %v", s, got)
			}
		case s == g.Start:
			first = slices.Clone(m.Params.Mask)
			if got := Sparsity(&m.Params); math.Abs(got-0.5) > 0.01 {
				t.Errorf("after the first update: sparsity %v, want 0.5", got)
			}
		case !slices.Equal(m.Params.Mask, first):
			t.Fatalf("step %d: the mask changed under a constant schedule", s)
		}
	}
	if updates != int(g.Updates)+1 {
		t.Errorf("%d updates, want %d (t0, t0+Δt, …, t0+nΔt)", updates, g.Updates+1)
	}
}

// TestGradualValidateRejectsEmptySchedules: a schedule without a step
// between updates or without updates would never prune (or divide by zero).
func TestGradualValidateRejectsEmptySchedules(t *testing.T) {
	ok := Gradual{Initial: 0, Final: 0.8, Start: 0, Every: 1, Updates: 1, Criterion: Magnitude}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid schedule refused: %v", err)
	}
	for name, edit := range map[string]func(*Gradual){
		"every 0":        func(g *Gradual) { g.Every = 0 },
		"no updates":     func(g *Gradual) { g.Updates = 0 },
		"negative start": func(g *Gradual) { g.Start = -1 },
		"final 1":        func(g *Gradual) { g.Final = 1 },
		"criterion":      func(g *Gradual) { g.Criterion = "largest" },
	} {
		g := ok
		edit(&g)
		if err := g.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestRequireMasksAllowsRounding: a model pruned to s per matrix can fall a
// fraction of a weight below s (each matrix rounds round(s·n)); RequireMasks
// must accept it at s, as the prune command checks every level's best model.
func TestRequireMasksAllowsRounding(t *testing.T) {
	m := tinyModel(t, model.CellEGRU)
	const s = 0.26 // targets of 105, 147, 105 and 75 weights: 27+38+27+20 = 112 of 432 = 0.2593
	if err := Prune(&m.Params, Magnitude, s, 0); err != nil {
		t.Fatal(err)
	}
	if got := Sparsity(&m.Params); !(got < s) {
		t.Fatalf("sparsity %v is not below %v: the case does not test rounding", got, s)
	}
	if err := RequireMasks(&m.Params, s, "ckpt"); err != nil {
		t.Errorf("pruned to %v: %v", s, err)
	}
	if err := RequireMasks(&m.Params, s+0.01, "ckpt"); err == nil {
		t.Errorf("pruned to %v, accepted as %v", s, s+0.01)
	}
}

// TestSetMaskZeroesPrunedWeights: an installed mask takes effect at once,
// its pruned weights are zero and the kept ones unchanged.
func TestSetMaskZeroesPrunedWeights(t *testing.T) {
	m := tinyModel(t, model.CellLSTM)
	p := &m.Params
	i, _ := p.Lookup("layers.1.W")
	orig := slices.Clone(p.Value(i))
	mask := make([]uint8, len(orig))
	for j := range mask {
		mask[j] = uint8(j % 2)
	}
	if err := SetMask(p, "layers.1.W", mask); err != nil {
		t.Fatal(err)
	}
	for j, v := range p.Value(i) {
		if want := orig[j] * float32(mask[j]); v != want {
			t.Fatalf("weight %d is %v after SetMask, want %v", j, v, want)
		}
	}
}

// TestRandomMatricesIndependent: the random control draws each matrix's
// mask on its own, so matrices of the same shape get different masks (one
// shared stream of draws would prune the same positions in all of them).
func TestRandomMatricesIndependent(t *testing.T) {
	c := model.Config{Cell: model.CellLSTM, Vocab: 11, Embed: 5, Hidden: []int{5, 5}}
	m, err := model.New[float32](c, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	p := &m.Params
	if err := Prune(p, Random, 0.5, 9); err != nil {
		t.Fatal(err)
	}
	var masks [][]float32
	for _, name := range []string{"layers.0.R", "layers.1.W", "layers.1.R"} { // each [5×20]
		i, _ := p.Lookup(name)
		v := p.Views[i]
		masks = append(masks, p.Mask[v.Offset:v.Offset+v.Len()])
	}
	if slices.Equal(masks[0], masks[1]) || slices.Equal(masks[1], masks[2]) || slices.Equal(masks[0], masks[2]) {
		t.Error("random pruning gave two matrices of the same shape the same mask")
	}
}
