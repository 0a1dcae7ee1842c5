package measure_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/sparselm/sparselm/measure"
	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/prune"
)

// Prune a model's layer matrices to 75% by magnitude and account for one
// window of random tokens.
func Example() {
	c := model.Config{Cell: model.CellEGRU, Vocab: 50, Embed: 8, Hidden: []int{16, 8},
		ThresholdMean: 0.1, PseudoHeight: 3.6, PseudoWidth: 3.6}
	m, _ := model.New[float32](c, rand.New(rand.NewPCG(1, 1)))
	if err := prune.Prune(&m.Params, prune.Magnitude, 0.75, 0); err != nil {
		fmt.Println(err)
		return
	}
	counter := measure.NewCounter(m)
	const T, B = 10, 1
	x, y := make([]int32, T*B), make([]int32, T*B)
	for i := range x {
		x[i], y[i] = int32(i), int32(i+1)
	}
	counter.Add(m.Evaluate(x, y, T, B, m.NewState(B)))
	r := counter.Report()
	for _, mat := range r.Matrices {
		fmt.Printf("%-10s %v sparsity %.2f\n", mat.Name, mat.Shape, mat.Sparsity)
	}
	fmt.Printf("dense %.0f MACs/token, weight-sparse %.0f\n", r.Model.MACs.Dense, r.Model.MACs.WeightSparse)
	fmt.Printf("weight factor of the layers %.2f\n", r.Recurrent.Factors.Weight)
	// (8+16)·48 + (16+8)·24 = 1728 in the layers, 432 of them kept; 50·8 = 400 in the decoder.
	// Output:
	// layers.0.W [8 48] sparsity 0.75
	// layers.0.R [16 48] sparsity 0.75
	// layers.1.W [16 24] sparsity 0.75
	// layers.1.R [8 24] sparsity 0.75
	// embedding  [50 8] sparsity 0.00
	// dense 2128 MACs/token, weight-sparse 832
	// weight factor of the layers 4.00
}
