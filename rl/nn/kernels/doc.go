// Package kernels owns the float32 numeric kernels of rxlab's training core:
// register-blocked SGEMM for the three products a dense layer needs
// (X·W forward, dY·Wᵀ for the input gradient, Xᵀ·dY for the weight gradient),
// fused element-wise activations and their derivatives, column sums for bias
// gradients, and an in-place Adam update.
//
// On amd64 CPUs with AVX2 and FMA the hot loops run in Go assembly
// (gemm_amd64.s, elem_amd64.s); everywhere else, or when built with the
// `purego` tag, portable Go loops compute the same results. No cgo and no
// GOEXPERIMENT are needed. AVX-512 is not used: the development machines are
// AMD Zen 3 (AVX2/FMA only), so an AVX-512 path could not be tested.
//
// All matrices are dense row-major with explicit leading dimensions, like
// BLAS. The kernels never allocate. They check slice lengths up front and
// panic on a violated precondition, as gonum's BLAS does: a too-short slice
// here is a programming error in the caller, never user input.
package kernels
