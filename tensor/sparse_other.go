//go:build !amd64 || purego

package tensor

// blockRows is the BlockRows kernel in use; tests may swap it.
var blockRows = blockRowsGeneric

// namedBlockRows is a BlockRows kernel with its instruction set (for tests).
type namedBlockRows struct {
	name string
	kern func(x []float32, rowStart []int32, blocks []uint16, vals []float32, y []float32)
}

// blockRowsAvailable lists the BlockRows kernels usable on this machine.
func blockRowsAvailable() []namedBlockRows {
	return []namedBlockRows{{"generic", blockRowsGeneric}}
}
