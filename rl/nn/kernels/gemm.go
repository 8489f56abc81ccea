package kernels

import "fmt"

// Tile sizes of the register-blocked micro-kernels: a tile of C is 6 or mr
// rows by nr (or nr/2) columns, held in registers while the k loop runs.
const (
	mr = 4
	nr = 16
)

func checkMat(name string, s []float32, rows, cols, ld int) {
	if rows == 0 || cols == 0 {
		return
	}
	if ld < cols {
		panic(fmt.Sprintf("kernels: %s: leading dimension %d < %d columns", name, ld, cols))
	}
	if need := (rows-1)*ld + cols; len(s) < need {
		panic(fmt.Sprintf("kernels: %s: len %d < %d needed for %dx%d (ld %d)", name, len(s), need, rows, cols, ld))
	}
}

// GemmNN computes C = A·B (accumulate false) or C += A·B (accumulate true),
// with A m×k (leading dimension lda), B k×n (ldb) and C m×n (ldc).
// It is the forward product X·W of a dense layer.
func GemmNN(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	checkMat("GemmNN A", a, m, k, lda)
	checkMat("GemmNN B", b, k, n, ldb)
	checkMat("GemmNN C", c, m, n, ldc)
	gemm(m, n, k, a, lda, 1, b, ldb, c, ldc, accumulate)
}

// GemmTN computes C = Aᵀ·B (or C += Aᵀ·B when accumulate), with A k×m (lda),
// B k×n (ldb) and C m×n (ldc). It is the weight gradient Xᵀ·dY of a dense
// layer; A is read in place, without a transposed copy.
func GemmTN(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	checkMat("GemmTN A", a, k, m, lda)
	checkMat("GemmTN B", b, k, n, ldb)
	checkMat("GemmTN C", c, m, n, ldc)
	gemm(m, n, k, a, 1, lda, b, ldb, c, ldc, accumulate)
}

// GemmNT computes C = A·Bᵀ (or C += A·Bᵀ when accumulate), with A m×k (lda),
// B n×k (ldb) and C m×n (ldc). It is the input gradient dY·Wᵀ of a dense
// layer. B is first transposed into scratch, which must hold k·n floats, so
// the call does not allocate.
func GemmNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool, scratch []float32) {
	checkMat("GemmNT A", a, m, k, lda)
	checkMat("GemmNT B", b, n, k, ldb)
	checkMat("GemmNT C", c, m, n, ldc)
	if len(scratch) < k*n {
		panic(fmt.Sprintf("kernels: GemmNT: scratch len %d < %d", len(scratch), k*n))
	}
	Transpose(scratch, n, b, ldb, n, k)
	gemm(m, n, k, a, lda, 1, scratch, n, c, ldc, accumulate)
}

// Transpose writes the transpose of the rows×cols matrix src (leading
// dimension lds) into dst as a cols×rows matrix with leading dimension ldd.
func Transpose(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	checkMat("Transpose src", src, rows, cols, lds)
	checkMat("Transpose dst", dst, cols, rows, ldd)
	i := 0
	for ; i+4 <= rows; i += 4 {
		s0 := src[i*lds : i*lds+cols]
		s1 := src[(i+1)*lds : (i+1)*lds+cols]
		s2 := src[(i+2)*lds : (i+2)*lds+cols]
		s3 := src[(i+3)*lds : (i+3)*lds+cols]
		for j := range s0 {
			d := dst[j*ldd+i : j*ldd+i+4]
			d[0], d[1], d[2], d[3] = s0[j], s1[j], s2[j], s3[j]
		}
	}
	for ; i < rows; i++ {
		for j, v := range src[i*lds : i*lds+cols] {
			dst[j*ldd+i] = v
		}
	}
}

// gemm is the blocked driver shared by all three forms. Element A(i,p) is
// a[i*ars+p*aks]: (ars, aks) = (lda, 1) reads A as stored, (1, lda) reads its
// transpose.
func gemm(m, n, k int, a []float32, ars, aks int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		if !acc {
			for i := 0; i < m; i++ {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	j := 0
	if useAsm && m < mr {
		// too few rows for a 4-row tile (batch-1 acting): 1×32 tiles first
		for ; j+2*nr <= n; j += 2 * nr {
			for i := 0; i < m; i++ {
				kern1x32(k, &a[i*ars], aks, &b[j], ldb, &c[i*ldc+j], acc)
			}
		}
	}
	if useAsm {
		for ; j+nr <= n; j += nr {
			i := 0
			for ; i+6 <= m; i += 6 {
				kern6x16(k, &a[i*ars], ars, aks, &b[j], ldb, &c[i*ldc+j], ldc, acc)
			}
			for ; i+mr <= m; i += mr {
				kern4x16(k, &a[i*ars], ars, aks, &b[j], ldb, &c[i*ldc+j], ldc, acc)
			}
			for ; i < m; i++ {
				kern1x16(k, &a[i*ars], aks, &b[j], ldb, &c[i*ldc+j], acc)
			}
		}
		for ; j+nr/2 <= n; j += nr / 2 {
			i := 0
			for ; i+mr <= m; i += mr {
				kern4x8(k, &a[i*ars], ars, aks, &b[j], ldb, &c[i*ldc+j], ldc, acc)
			}
			for ; i < m; i++ {
				kern1x8(k, &a[i*ars], aks, &b[j], ldb, &c[i*ldc+j], acc)
			}
		}
	}
	if j < n {
		if aks == 1 && k >= 16 {
			gemmNarrow(m, n-j, k, a, ars, b[j:], ldb, c[j:], ldc, acc)
		} else {
			gemmGeneric(m, n-j, k, a, ars, aks, b[j:], ldb, c[j:], ldc, acc)
		}
	}
}

// gemmNarrow computes the last few (fewer than 8) columns of C, such as the
// single output of a regression head, as dot products of A's contiguous rows
// with B's columns. Four independent sums keep the FMA pipeline busy where
// gemmGeneric's row updates would touch one or two floats per step.
func gemmNarrow(m, n, k int, a []float32, ars int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	for i := 0; i < m; i++ {
		ai := a[i*ars : i*ars+k]
		for j := 0; j < n; j++ {
			var s0, s1, s2, s3 float32
			p := 0
			for ; p+4 <= k; p += 4 {
				q := p*ldb + j
				s0 += ai[p] * b[q]
				s1 += ai[p+1] * b[q+ldb]
				s2 += ai[p+2] * b[q+2*ldb]
				s3 += ai[p+3] * b[q+3*ldb]
			}
			for ; p < k; p++ {
				s0 += ai[p] * b[p*ldb+j]
			}
			s := (s0 + s1) + (s2 + s3)
			if acc {
				c[i*ldc+j] += s
			} else {
				c[i*ldc+j] = s
			}
		}
	}
}

// gemmGeneric is the portable kernel: for each row of C it accumulates
// A(i,p)·B(p,:) row updates, which vectorizes reasonably in plain Go.
func gemmGeneric(m, n, k int, a []float32, ars, aks int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	for i := 0; i < m; i++ {
		ci := c[i*ldc : i*ldc+n]
		if !acc {
			clear(ci)
		}
		for p := 0; p < k; p++ {
			av := a[i*ars+p*aks]
			bp := b[p*ldb : p*ldb+n]
			for j, bv := range bp {
				ci[j] += av * bv
			}
		}
	}
}
