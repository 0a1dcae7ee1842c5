//go:build (!amd64 && !arm64) || purego

package tensor

var cellSIMD = 0

func lstmCellBackwardSIMD(g, dg, dout, dnext, dcell, tc, cprev []float32, h int) int { return 0 }

func cellKernelWidths() []int { return nil }

func egruCellBackwardSIMD(gates, dp, dr, dy, dnext, dcell, chat, o, cprev, zr, theta, dth []float32, h int, c *egruConsts) int {
	return 0
}

func egruCellForward1SIMD(rcz, brz, r, zr, z []float32) int                        { return 0 }
func egruCellForward2SIMD(gates, cprev, theta, chat, o, y, c []float32, h int) int { return 0 }
