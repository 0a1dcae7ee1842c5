//go:build (!amd64 && !arm64) || purego

package tensor

func bestKernel() *kernelInfo { return genericKernel }

func bestVec() vecKernels { return genericVec }

// kernelsAvailable lists the kernels usable on this machine (for tests).
func kernelsAvailable() []*kernelInfo { return []*kernelInfo{genericKernel} }

// vecAvailable lists the vector kernels usable on this machine (for tests).
func vecAvailable() []namedVec { return []namedVec{{"generic", genericVec}} }
