//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// useAsm selects the AVX2/FMA assembly kernels; it is read-only after init.
var useAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func kern6x16(k int, a *float32, ars, aks int, b *float32, ldb int, c *float32, ldc int, acc bool)

//go:noescape
func kern4x16(k int, a *float32, ars, aks int, b *float32, ldb int, c *float32, ldc int, acc bool)

//go:noescape
func kern4x8(k int, a *float32, ars, aks int, b *float32, ldb int, c *float32, ldc int, acc bool)

//go:noescape
func kern1x16(k int, a *float32, aks int, b *float32, ldb int, c *float32, acc bool)

//go:noescape
func kern1x32(k int, a *float32, aks int, b *float32, ldb int, c *float32, acc bool)

//go:noescape
func kern1x8(k int, a *float32, aks int, b *float32, ldb int, c *float32, acc bool)

//go:noescape
func tanhGradAVX2(n int, dz, y, dy *float32)

//go:noescape
func reluAVX2(n int, x *float32)

//go:noescape
func reluGradAVX2(n int, dz, y, dy *float32)

//go:noescape
func addAVX2(n int, dst, src *float32)

//go:noescape
func adamAVX2(n int, w, gr, m, v *float32, b1, omb1, b2, omb2, c1, c2, eps, negEta float32)

//go:noescape
func expAVX2(n int, x *float32)

//go:noescape
func tanh16AVX2(n int, x *float32)

//go:noescape
func sparseAccumAVX2(n int, w *float32, ldw int, idx *int32, val *float32, dst *float32, chunks int)
