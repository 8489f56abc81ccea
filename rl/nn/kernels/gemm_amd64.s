//go:build !purego

#include "textflag.h"

// One k step of a 4-row tile: broadcast A(r,p) for the four rows and
// multiply-accumulate against the B row held in Y8 (and Y9 for 16 columns).
#define ROW16(areg, acc0, acc1) \
	VBROADCASTSS (areg)(BX*1), Y10 \
	VFMADD231PS  Y8, Y10, acc0     \
	VFMADD231PS  Y9, Y10, acc1

#define ROW8(areg, acc0) \
	VBROADCASTSS (areg)(BX*1), Y10 \
	VFMADD231PS  Y8, Y10, acc0

// func kern4x16(k int, a *float32, ars, aks int, b *float32, ldb int, c *float32, ldc int, acc bool)
TEXT ·kern4x16(SB), NOSPLIT, $0-65
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ ars+16(FP), R8
	SHLQ $2, R8
	MOVQ aks+24(FP), R9
	SHLQ $2, R9
	MOVQ b+32(FP), DI
	MOVQ ldb+40(FP), R10
	SHLQ $2, R10
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R11
	SHLQ $2, R11
	LEAQ (SI)(R8*1), R12
	LEAQ (R12)(R8*1), R13
	LEAQ (R13)(R8*1), R14
	LEAQ (DX)(R11*1), AX
	LEAQ (AX)(R11*1), R15
	LEAQ (R15)(R11*1), R8
	MOVBLZX acc+64(FP), BX
	TESTQ BX, BX
	JZ    zero16
	VMOVUPS (DX), Y0
	VMOVUPS 32(DX), Y1
	VMOVUPS (AX), Y2
	VMOVUPS 32(AX), Y3
	VMOVUPS (R15), Y4
	VMOVUPS 32(R15), Y5
	VMOVUPS (R8), Y6
	VMOVUPS 32(R8), Y7
	JMP   start16

zero16:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

start16:
	XORQ BX, BX
	CMPQ CX, $2
	JLT  tail16

loop16:
	VMOVUPS (DI), Y8
	VMOVUPS 32(DI), Y9
	ROW16(SI, Y0, Y1)
	ROW16(R12, Y2, Y3)
	ROW16(R13, Y4, Y5)
	ROW16(R14, Y6, Y7)
	ADDQ    R9, BX
	ADDQ    R10, DI
	VMOVUPS (DI), Y8
	VMOVUPS 32(DI), Y9
	ROW16(SI, Y0, Y1)
	ROW16(R12, Y2, Y3)
	ROW16(R13, Y4, Y5)
	ROW16(R14, Y6, Y7)
	ADDQ    R9, BX
	ADDQ    R10, DI
	SUBQ    $2, CX
	CMPQ    CX, $2
	JGE     loop16

tail16:
	TESTQ   CX, CX
	JZ      store16
	VMOVUPS (DI), Y8
	VMOVUPS 32(DI), Y9
	ROW16(SI, Y0, Y1)
	ROW16(R12, Y2, Y3)
	ROW16(R13, Y4, Y5)
	ROW16(R14, Y6, Y7)

store16:
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, (AX)
	VMOVUPS Y3, 32(AX)
	VMOVUPS Y4, (R15)
	VMOVUPS Y5, 32(R15)
	VMOVUPS Y6, (R8)
	VMOVUPS Y7, 32(R8)
	VZEROUPPER
	RET

// func kern4x8(k int, a *float32, ars, aks int, b *float32, ldb int, c *float32, ldc int, acc bool)
TEXT ·kern4x8(SB), NOSPLIT, $0-65
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ ars+16(FP), R8
	SHLQ $2, R8
	MOVQ aks+24(FP), R9
	SHLQ $2, R9
	MOVQ b+32(FP), DI
	MOVQ ldb+40(FP), R10
	SHLQ $2, R10
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R11
	SHLQ $2, R11
	LEAQ (SI)(R8*1), R12
	LEAQ (R12)(R8*1), R13
	LEAQ (R13)(R8*1), R14
	LEAQ (DX)(R11*1), AX
	LEAQ (AX)(R11*1), R15
	LEAQ (R15)(R11*1), R8
	MOVBLZX acc+64(FP), BX
	TESTQ BX, BX
	JZ    zero8
	VMOVUPS (DX), Y0
	VMOVUPS (AX), Y2
	VMOVUPS (R15), Y4
	VMOVUPS (R8), Y6
	JMP   start8

zero8:
	VXORPS Y0, Y0, Y0
	VXORPS Y2, Y2, Y2
	VXORPS Y4, Y4, Y4
	VXORPS Y6, Y6, Y6

start8:
	// Two independent accumulator sets (Y0.. and Y1..) hide FMA latency.
	VXORPS Y1, Y1, Y1
	VXORPS Y3, Y3, Y3
	VXORPS Y5, Y5, Y5
	VXORPS Y7, Y7, Y7
	XORQ BX, BX
	CMPQ CX, $2
	JLT  tail8

loop8:
	VMOVUPS (DI), Y8
	ROW8(SI, Y0)
	ROW8(R12, Y2)
	ROW8(R13, Y4)
	ROW8(R14, Y6)
	ADDQ    R9, BX
	ADDQ    R10, DI
	VMOVUPS (DI), Y8
	ROW8(SI, Y1)
	ROW8(R12, Y3)
	ROW8(R13, Y5)
	ROW8(R14, Y7)
	ADDQ    R9, BX
	ADDQ    R10, DI
	SUBQ    $2, CX
	CMPQ    CX, $2
	JGE     loop8

tail8:
	TESTQ   CX, CX
	JZ      store8
	VMOVUPS (DI), Y8
	ROW8(SI, Y0)
	ROW8(R12, Y2)
	ROW8(R13, Y4)
	ROW8(R14, Y6)

store8:
	VADDPS  Y1, Y0, Y0
	VADDPS  Y3, Y2, Y2
	VADDPS  Y5, Y4, Y4
	VADDPS  Y7, Y6, Y6
	VMOVUPS Y0, (DX)
	VMOVUPS Y2, (AX)
	VMOVUPS Y4, (R15)
	VMOVUPS Y6, (R8)
	VZEROUPPER
	RET

// func kern1x16(k int, a *float32, aks int, b *float32, ldb int, c *float32, acc bool)
TEXT ·kern1x16(SB), NOSPLIT, $0-49
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ aks+16(FP), R9
	SHLQ $2, R9
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R10
	SHLQ $2, R10
	MOVQ c+40(FP), DX
	MOVBLZX acc+48(FP), BX
	TESTQ BX, BX
	JZ    zero1x16
	VMOVUPS (DX), Y0
	VMOVUPS 32(DX), Y1
	JMP   start1x16

zero1x16:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

start1x16:
	XORQ BX, BX
	TESTQ CX, CX
	JZ   store1x16

loop1x16:
	VMOVUPS (DI), Y8
	VMOVUPS 32(DI), Y9
	ROW16(SI, Y0, Y1)
	ADDQ    R9, BX
	ADDQ    R10, DI
	DECQ    CX
	JNZ     loop1x16

store1x16:
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VZEROUPPER
	RET

// func kern1x8(k int, a *float32, aks int, b *float32, ldb int, c *float32, acc bool)
TEXT ·kern1x8(SB), NOSPLIT, $0-49
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ aks+16(FP), R9
	SHLQ $2, R9
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R10
	SHLQ $2, R10
	MOVQ c+40(FP), DX
	MOVBLZX acc+48(FP), BX
	TESTQ BX, BX
	JZ    zero1x8
	VMOVUPS (DX), Y0
	JMP   start1x8

zero1x8:
	VXORPS Y0, Y0, Y0

start1x8:
	XORQ BX, BX
	TESTQ CX, CX
	JZ   store1x8

loop1x8:
	VMOVUPS (DI), Y8
	ROW8(SI, Y0)
	ADDQ    R9, BX
	ADDQ    R10, DI
	DECQ    CX
	JNZ     loop1x8

store1x8:
	VMOVUPS Y0, (DX)
	VZEROUPPER
	RET

// func kern1x32(k int, a *float32, aks int, b *float32, ldb int, c *float32, acc bool)
// One row of C, 32 columns: the batch-1 (GEMV-shaped) case. Even and odd k
// go to separate accumulator sets so eight FMA chains are in flight.
TEXT ·kern1x32(SB), NOSPLIT, $0-49
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ aks+16(FP), R9
	SHLQ $2, R9
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R10
	SHLQ $2, R10
	MOVQ c+40(FP), DX
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVBLZX acc+48(FP), BX
	TESTQ BX, BX
	JZ    zero1x32
	VMOVUPS (DX), Y0
	VMOVUPS 32(DX), Y1
	VMOVUPS 64(DX), Y2
	VMOVUPS 96(DX), Y3
	JMP   start1x32

zero1x32:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

start1x32:
	CMPQ CX, $2
	JLT  tail1x32

loop1x32:
	VBROADCASTSS (SI), Y10
	VFMADD231PS  (DI), Y10, Y0
	VFMADD231PS  32(DI), Y10, Y1
	VFMADD231PS  64(DI), Y10, Y2
	VFMADD231PS  96(DI), Y10, Y3
	ADDQ         R9, SI
	ADDQ         R10, DI
	VBROADCASTSS (SI), Y11
	VFMADD231PS  (DI), Y11, Y4
	VFMADD231PS  32(DI), Y11, Y5
	VFMADD231PS  64(DI), Y11, Y6
	VFMADD231PS  96(DI), Y11, Y7
	ADDQ         R9, SI
	ADDQ         R10, DI
	SUBQ         $2, CX
	CMPQ         CX, $2
	JGE          loop1x32

tail1x32:
	TESTQ        CX, CX
	JZ           store1x32
	VBROADCASTSS (SI), Y10
	VFMADD231PS  (DI), Y10, Y0
	VFMADD231PS  32(DI), Y10, Y1
	VFMADD231PS  64(DI), Y10, Y2
	VFMADD231PS  96(DI), Y10, Y3

store1x32:
	VADDPS  Y4, Y0, Y0
	VADDPS  Y5, Y1, Y1
	VADDPS  Y6, Y2, Y2
	VADDPS  Y7, Y3, Y3
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, 64(DX)
	VMOVUPS Y3, 96(DX)
	VZEROUPPER
	RET
