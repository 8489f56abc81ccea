package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// refGemm computes C (+)= op(A)·op(B) in float64 from the definition.
func refGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) []float64 {
	out := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			if acc {
				s = float64(c[i*ldc+j])
			}
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			out[i*n+j] = s
		}
	}
	return out
}

func TestGemm(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	shapes := []struct{ m, n, k int }{
		{1, 1, 1}, {1, 64, 16}, {3, 72, 9}, {2, 40, 5}, {1, 256, 255}, {4, 16, 16}, {6, 16, 5}, {10, 32, 9}, {13, 48, 17}, {64, 64, 16}, {64, 8, 64}, {5, 23, 7}, {7, 40, 3}, {9, 17, 33}, {256, 8, 256}, {3, 5, 0}, {64, 1, 256}, {7, 3, 19}, {5, 12, 33}, {2, 1, 16},
	}
	forms := []string{"NN", "TN", "NT"}
	for _, sh := range shapes {
		for _, form := range forms {
			for _, acc := range []bool{false, true} {
				name := fmt.Sprintf("%s/%dx%dx%d/acc=%v", form, sh.m, sh.n, sh.k, acc)
				t.Run(name, func(t *testing.T) {
					m, n, k := sh.m, sh.n, sh.k
					pad := 3
					var a, b []float32
					var lda, ldb int
					transA, transB := form == "TN", form == "NT"
					if transA {
						lda = m + pad
						a = randSlice(r, max(k, 1)*lda)
					} else {
						lda = k + pad
						a = randSlice(r, m*lda)
					}
					if transB {
						ldb = k + pad
						b = randSlice(r, n*ldb)
					} else {
						ldb = n + pad
						b = randSlice(r, max(k, 1)*ldb)
					}
					ldc := n + pad
					c := randSlice(r, m*ldc)
					want := refGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, acc)
					switch form {
					case "NN":
						GemmNN(m, n, k, a, lda, b, ldb, c, ldc, acc)
					case "TN":
						GemmTN(m, n, k, a, lda, b, ldb, c, ldc, acc)
					case "NT":
						GemmNT(m, n, k, a, lda, b, ldb, c, ldc, acc, make([]float32, k*n))
					}
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							got, w := float64(c[i*ldc+j]), want[i*n+j]
							if math.Abs(got-w) > 1e-4*(1+math.Sqrt(float64(k))) {
								t.Fatalf("C[%d,%d] = %v, want %v", i, j, got, w)
							}
						}
					}
				})
			}
		}
	}
}

func TestGemmGenericMatchesAsm(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	m, n, k := 12, 40, 20
	a, b := randSlice(r, m*k), randSlice(r, k*n)
	c1, c2 := make([]float32, m*n), make([]float32, m*n)
	GemmNN(m, n, k, a, k, b, n, c1, n, false)
	gemmGeneric(m, n, k, a, k, 1, b, n, c2, n, false)
	for i := range c1 {
		if d := math.Abs(float64(c1[i] - c2[i])); d > 1e-4 {
			t.Fatalf("element %d: asm %v generic %v", i, c1[i], c2[i])
		}
	}
}

func TestTanh(t *testing.T) {
	var xs []float32
	for x := -12.0; x <= 12; x += 0.00137 {
		xs = append(xs, float32(x))
	}
	xs = append(xs, 0, 1e-30, -1e-30, 1e-7, 0.35, -0.35, 0.34999, 9, 40, -40, float32(math.Inf(1)), float32(math.Inf(-1)))
	got := append([]float32(nil), xs...)
	Tanh(got)
	var maxUlp float64
	for i, x := range xs {
		want := math.Tanh(float64(x))
		ulp := math.Abs(float64(math.Nextafter32(float32(want), float32(math.Inf(1)))) - math.Abs(want))
		if ulp == 0 {
			ulp = 1e-45
		}
		e := math.Abs(float64(got[i])-want) / ulp
		maxUlp = max(maxUlp, e)
		if e > 4 {
			t.Errorf("tanh(%g) = %g, want %g (%.1f ulp)", x, got[i], want, e)
		}
	}
	t.Logf("max error %.2f ulp over %d points (asm=%v)", maxUlp, len(xs), useAsm)
}

func TestElementwise(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 7, 8, 9, 64, 101} {
		y, dy := randSlice(r, n), randSlice(r, n)
		dz := make([]float32, n)
		TanhGrad(dz, y, dy)
		for i := range dz {
			if w := (1 - y[i]*y[i]) * dy[i]; math.Abs(float64(dz[i]-w)) > 1e-5*(1+math.Abs(float64(w))) {
				t.Fatalf("TanhGrad n=%d i=%d: %v want %v", n, i, dz[i], w)
			}
		}
		ReLUGrad(dz, y, dy)
		for i := range dz {
			w := float32(0)
			if y[i] > 0 {
				w = dy[i]
			}
			if dz[i] != w {
				t.Fatalf("ReLUGrad n=%d i=%d: %v want %v", n, i, dz[i], w)
			}
		}
		x := append([]float32(nil), y...)
		ReLU(x)
		for i := range x {
			if w := float32(math.Max(float64(y[i]), 0)); x[i] != w {
				t.Fatalf("ReLU n=%d i=%d: %v want %v", n, i, x[i], w)
			}
		}
		s := append([]float32(nil), y...)
		Add(s, dy)
		for i := range s {
			if s[i] != y[i]+dy[i] {
				t.Fatalf("Add n=%d i=%d", n, i)
			}
		}
	}
	a := randSlice(r, 5*13)
	d := make([]float32, 11)
	ColSum(d, a, 13, 5, 11)
	for j := 0; j < 11; j++ {
		var s float32
		for i := 0; i < 5; i++ {
			s += a[i*13+j]
		}
		if math.Abs(float64(d[j]-s)) > 1e-5 {
			t.Fatalf("ColSum[%d] = %v want %v", j, d[j], s)
		}
	}
}

func TestAdam(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 8, 29} {
		w, g := randSlice(r, n), randSlice(r, n)
		m, v := randSlice(r, n), randSlice(r, n)
		for i := range v {
			v[i] *= v[i]
		}
		w0, m0, v0 := append([]float32(nil), w...), append([]float32(nil), m...), append([]float32(nil), v...)
		s := AdamStep{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, LR: 0.01, Corr1: 1 / (1 - 0.9*0.9), Corr2: 1 / (1 - 0.999*0.999)}
		Adam(s, w, g, m, v)
		for i := range w {
			mi := 0.9*float64(m0[i]) + 0.1*float64(g[i])
			vi := 0.999*float64(v0[i]) + 0.001*float64(g[i])*float64(g[i])
			wi := float64(w0[i]) - 0.01*mi*float64(s.Corr1)/(math.Sqrt(vi*float64(s.Corr2))+1e-8)
			if math.Abs(float64(m[i])-mi) > 1e-6 || math.Abs(float64(v[i])-vi) > 1e-6 || math.Abs(float64(w[i])-wi) > 1e-5 {
				t.Fatalf("n=%d i=%d: w %v/%v m %v/%v v %v/%v", n, i, w[i], wi, m[i], mi, v[i], vi)
			}
		}
	}
}

func TestExp(t *testing.T) {
	var xs []float32
	for x := -86.0; x <= 88; x += 0.0173 {
		xs = append(xs, float32(x))
	}
	xs = append(xs, 0, -1e-20, 1e-7, -0.5, 0.5)
	got := append([]float32(nil), xs...)
	Exp(got)
	var maxUlp float64
	for i, x := range xs {
		want := math.Exp(float64(x))
		ulp := math.Abs(float64(math.Nextafter32(float32(want), float32(math.Inf(1)))) - want)
		e := math.Abs(float64(got[i])-want) / ulp
		maxUlp = max(maxUlp, e)
		if e > 4 {
			t.Errorf("exp(%g) = %g, want %g (%.1f ulp)", x, got[i], want, e)
		}
	}
	t.Logf("max error %.2f ulp over %d points", maxUlp, len(xs))
	tiny := []float32{-200, -100, -88, -87, -87, -87, -87, -87}
	Exp(tiny)
	for i, v := range tiny {
		if !(v >= 0 && v < 2e-38) {
			t.Errorf("exp(very negative)[%d] = %g, want ~0", i, v)
		}
	}
}
