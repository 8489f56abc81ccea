package kernels

import (
	"fmt"
	"math"
)

// Accelerated reports whether the AVX2/FMA assembly kernels are in use.
func Accelerated() bool { return useAsm }

func checkLen(name string, n int, s ...[]float32) {
	for _, v := range s {
		if len(v) < n {
			panic(fmt.Sprintf("kernels: %s: slice len %d < %d", name, len(v), n))
		}
	}
}

// Tanh replaces every x[i] with tanh(x[i]) (max error a few float32 ulps).
func Tanh(x []float32) {
	n := 0
	if useAsm {
		n = len(x) &^ 7
		if n > 0 {
			tanh16AVX2(n, &x[0])
		}
	}
	for i := n; i < len(x); i++ {
		x[i] = float32(math.Tanh(float64(x[i])))
	}
}

// Exp replaces every x[i] with e^x[i] (inputs below −87 give about 1.6e-38
// on the assembly path; max error a few float32 ulps).
func Exp(x []float32) {
	n := 0
	if useAsm {
		n = len(x) &^ 7
		if n > 0 {
			expAVX2(n, &x[0])
		}
	}
	for i := n; i < len(x); i++ {
		x[i] = float32(math.Exp(float64(x[i])))
	}
}

// TanhGrad sets dz[i] = dy[i]·(1 − y[i]²), the gradient through y = tanh(z),
// for i < len(dz).
func TanhGrad(dz, y, dy []float32) {
	checkLen("TanhGrad", len(dz), y, dy)
	n := 0
	if useAsm {
		n = len(dz) &^ 7
		if n > 0 {
			tanhGradAVX2(n, &dz[0], &y[0], &dy[0])
		}
	}
	for i := n; i < len(dz); i++ {
		dz[i] = (1 - y[i]*y[i]) * dy[i]
	}
}

// ReLU replaces every x[i] with max(x[i], 0).
func ReLU(x []float32) {
	n := 0
	if useAsm {
		n = len(x) &^ 7
		if n > 0 {
			reluAVX2(n, &x[0])
		}
	}
	for i := n; i < len(x); i++ {
		if !(x[i] > 0) {
			x[i] = 0
		}
	}
}

// ReLUGrad sets dz[i] = dy[i] where y[i] > 0 and 0 elsewhere, for i < len(dz).
func ReLUGrad(dz, y, dy []float32) {
	checkLen("ReLUGrad", len(dz), y, dy)
	n := 0
	if useAsm {
		n = len(dz) &^ 7
		if n > 0 {
			reluGradAVX2(n, &dz[0], &y[0], &dy[0])
		}
	}
	for i := n; i < len(dz); i++ {
		if y[i] > 0 {
			dz[i] = dy[i]
		} else {
			dz[i] = 0
		}
	}
}

// Add sets dst[i] += src[i] for i < len(dst).
func Add(dst, src []float32) {
	checkLen("Add", len(dst), src)
	n := 0
	if useAsm {
		n = len(dst) &^ 7
		if n > 0 {
			addAVX2(n, &dst[0], &src[0])
		}
	}
	for i := n; i < len(dst); i++ {
		dst[i] += src[i]
	}
}

// ColSum sets dst[j] = Σ_i a[i·lda+j] over rows×cols matrix a (the bias
// gradient of a dense layer: column sums of dZ).
func ColSum(dst []float32, a []float32, lda, rows, cols int) {
	checkMat("ColSum a", a, rows, cols, lda)
	checkLen("ColSum dst", cols, dst)
	d := dst[:cols]
	clear(d)
	for i := 0; i < rows; i++ {
		Add(d, a[i*lda:i*lda+cols])
	}
}

// AdamStep holds the per-step scalars of an Adam update: β1, β2, ε, the
// learning rate η and the bias corrections 1/(1−β1ᵗ), 1/(1−β2ᵗ).
type AdamStep struct {
	Beta1, Beta2, Eps, LR float32
	Corr1, Corr2          float32
}

// Adam applies one Adam update in place, for i < len(w):
//
//	m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²
//	w += −η·(m·Corr1) / (sqrt(v·Corr2) + ε)
//
// which is the order of operations of gorgonia's AdamSolver.
func Adam(s AdamStep, w, g, m, v []float32) {
	checkLen("Adam", len(w), g, m, v)
	omb1, omb2 := 1-s.Beta1, 1-s.Beta2
	n := 0
	if useAsm {
		n = len(w) &^ 7
		if n > 0 {
			adamAVX2(n, &w[0], &g[0], &m[0], &v[0], s.Beta1, omb1, s.Beta2, omb2, s.Corr1, s.Corr2, s.Eps, -s.LR)
		}
	}
	for i := n; i < len(w); i++ {
		mi := m[i]*s.Beta1 + omb1*g[i]
		vi := v[i]*s.Beta2 + omb2*(g[i]*g[i])
		m[i], v[i] = mi, vi
		den := float32(math.Sqrt(float64(vi*s.Corr2))) + s.Eps
		w[i] += (mi * s.Corr1 * -s.LR) / den
	}
}
