//go:build amd64 && !purego

package tensor

func bestKernel() *kernelInfo { return genericKernel }

func bestVec() vecKernels { return genericVec }

func kernelsAvailable() []*kernelInfo { return []*kernelInfo{genericKernel} }
