//go:build !purego

#include "textflag.h"

// func sparseAccumAVX2(n int, w *float32, ldw int, idx *int32, val *float32, dst *float32, chunks int)
// For each of chunks blocks of 64 columns: dst[0:64] += Σ_k val[k]·w[idx[k]·ldw : +64],
// the block of dst held in Y0–Y7 across the whole sum; then dst and w move
// on by 64 floats. n ≥ 0, chunks ≥ 1, indices already checked by the caller.
// While it sums a block it prefetches the same rows' next block: the rows
// are scattered over megabytes, so without it each block of each row waits
// for memory (BenchmarkSparseAccumCold: about 20 % faster; two blocks ahead
// gained less). Past the last block the prefetches touch the next row or
// nothing, which is harmless: a prefetch never faults.
TEXT ·sparseAccumAVX2(SB), NOSPLIT, $0-56
	MOVQ n+0(FP), CX
	MOVQ w+8(FP), SI
	MOVQ ldw+16(FP), R8
	SHLQ $2, R8
	MOVQ idx+24(FP), R9
	MOVQ val+32(FP), R10
	MOVQ dst+40(FP), DI
	MOVQ chunks+48(FP), R11

sachunk:
	VMOVUPS 0(DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y4
	VMOVUPS 160(DI), Y5
	VMOVUPS 192(DI), Y6
	VMOVUPS 224(DI), Y7
	XORQ    BX, BX
	TESTQ   CX, CX
	JZ      sastore

sainner:
	MOVLQSX      (R9)(BX*4), AX
	IMULQ        R8, AX
	ADDQ         SI, AX
	VBROADCASTSS (R10)(BX*4), Y8
	PREFETCHT0   256(AX)
	PREFETCHT0   320(AX)
	PREFETCHT0   384(AX)
	PREFETCHT0   448(AX)
	VFMADD231PS  0(AX), Y8, Y0
	VFMADD231PS  32(AX), Y8, Y1
	VFMADD231PS  64(AX), Y8, Y2
	VFMADD231PS  96(AX), Y8, Y3
	VFMADD231PS  128(AX), Y8, Y4
	VFMADD231PS  160(AX), Y8, Y5
	VFMADD231PS  192(AX), Y8, Y6
	VFMADD231PS  224(AX), Y8, Y7
	INCQ         BX
	CMPQ         BX, CX
	JLT          sainner

sastore:
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	ADDQ    $256, DI
	ADDQ    $256, SI
	DECQ    R11
	JNZ     sachunk
	VZEROUPPER
	RET
