//go:build (!amd64 && !arm64) || purego

package tensor

func bestSparse() sparseKernels { return genericSparse }

// sparseAvailable lists the sparse kernel sets usable on this machine.
func sparseAvailable() []sparseKernels { return []sparseKernels{genericSparse} }
