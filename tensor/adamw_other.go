//go:build !amd64 || purego

package tensor

func adamwBest() func(x, g, m, v []float32, c *adamwConsts) { return adamwGeneric }
