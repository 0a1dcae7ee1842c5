//go:build (!amd64 && !arm64) || purego

package tensor

var adamwSIMDOn = false

func adamwKernel(x, g, m, v []float32, c *adamwConsts) { adamwGeneric(x, g, m, v, c) }
