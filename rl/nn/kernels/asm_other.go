//go:build !amd64 || purego

package kernels

// useAsm is false: only the portable Go kernels exist on this build.
const useAsm = false

func kern6x16(k int, a *float32, ars, aks int, b *float32, ldb int, c *float32, ldc int, acc bool) {
	panic("kernels: no assembly on this build")
}
func kern4x16(k int, a *float32, ars, aks int, b *float32, ldb int, c *float32, ldc int, acc bool) {
	panic("kernels: no assembly on this build")
}
func kern4x8(k int, a *float32, ars, aks int, b *float32, ldb int, c *float32, ldc int, acc bool) {
	panic("kernels: no assembly on this build")
}
func kern1x16(k int, a *float32, aks int, b *float32, ldb int, c *float32, acc bool) {
	panic("kernels: no assembly on this build")
}
func kern1x32(k int, a *float32, aks int, b *float32, ldb int, c *float32, acc bool) {
	panic("kernels: no assembly on this build")
}
func kern1x8(k int, a *float32, aks int, b *float32, ldb int, c *float32, acc bool) {
	panic("kernels: no assembly on this build")
}
func tanhGradAVX2(n int, dz, y, dy *float32) { panic("kernels: no assembly on this build") }
func reluAVX2(n int, x *float32)             { panic("kernels: no assembly on this build") }
func reluGradAVX2(n int, dz, y, dy *float32) { panic("kernels: no assembly on this build") }
func addAVX2(n int, dst, src *float32)       { panic("kernels: no assembly on this build") }
func adamAVX2(n int, w, gr, m, v *float32, b1, omb1, b2, omb2, c1, c2, eps, negEta float32) {
	panic("kernels: no assembly on this build")
}

func expAVX2(n int, x *float32) { panic("kernels: no assembly on this build") }

func tanh16AVX2(n int, x *float32) { panic("kernels: no assembly on this build") }

func sparseAccumAVX2(n int, w *float32, ldw int, idx *int32, val *float32, dst *float32, chunks int) {
	panic("kernels: no assembly on this build")
}
