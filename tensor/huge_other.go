//go:build !linux

package tensor

func adviseHuge(s []float32) {}

func adviseHugeBytes(b []byte) {}
