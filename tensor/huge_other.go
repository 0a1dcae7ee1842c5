//go:build !linux

package tensor

func adviseHuge(s []float32) {}
