//go:build !purego

#include "textflag.h"

// Constant vectors (8 identical float32 lanes each), generated from their
// decimal definitions: Taylor coefficients of exp and tanh, ln 2 split into a
// float32 head and its remainder, and the tanh branch threshold and clamp.
DATA ·c_tanhThresh+0(SB)/4, $0x3eb33333
DATA ·c_tanhThresh+4(SB)/4, $0x3eb33333
DATA ·c_tanhThresh+8(SB)/4, $0x3eb33333
DATA ·c_tanhThresh+12(SB)/4, $0x3eb33333
DATA ·c_tanhThresh+16(SB)/4, $0x3eb33333
DATA ·c_tanhThresh+20(SB)/4, $0x3eb33333
DATA ·c_tanhThresh+24(SB)/4, $0x3eb33333
DATA ·c_tanhThresh+28(SB)/4, $0x3eb33333
GLOBL ·c_tanhThresh(SB), RODATA|NOPTR, $32

DATA ·c_tanhClamp+0(SB)/4, $0x41100000
DATA ·c_tanhClamp+4(SB)/4, $0x41100000
DATA ·c_tanhClamp+8(SB)/4, $0x41100000
DATA ·c_tanhClamp+12(SB)/4, $0x41100000
DATA ·c_tanhClamp+16(SB)/4, $0x41100000
DATA ·c_tanhClamp+20(SB)/4, $0x41100000
DATA ·c_tanhClamp+24(SB)/4, $0x41100000
DATA ·c_tanhClamp+28(SB)/4, $0x41100000
GLOBL ·c_tanhClamp(SB), RODATA|NOPTR, $32

DATA ·c_log2e+0(SB)/4, $0x3fb8aa3b
DATA ·c_log2e+4(SB)/4, $0x3fb8aa3b
DATA ·c_log2e+8(SB)/4, $0x3fb8aa3b
DATA ·c_log2e+12(SB)/4, $0x3fb8aa3b
DATA ·c_log2e+16(SB)/4, $0x3fb8aa3b
DATA ·c_log2e+20(SB)/4, $0x3fb8aa3b
DATA ·c_log2e+24(SB)/4, $0x3fb8aa3b
DATA ·c_log2e+28(SB)/4, $0x3fb8aa3b
GLOBL ·c_log2e(SB), RODATA|NOPTR, $32

DATA ·c_ln2hi+0(SB)/4, $0x3f317218
DATA ·c_ln2hi+4(SB)/4, $0x3f317218
DATA ·c_ln2hi+8(SB)/4, $0x3f317218
DATA ·c_ln2hi+12(SB)/4, $0x3f317218
DATA ·c_ln2hi+16(SB)/4, $0x3f317218
DATA ·c_ln2hi+20(SB)/4, $0x3f317218
DATA ·c_ln2hi+24(SB)/4, $0x3f317218
DATA ·c_ln2hi+28(SB)/4, $0x3f317218
GLOBL ·c_ln2hi(SB), RODATA|NOPTR, $32

DATA ·c_ln2lo+0(SB)/4, $0xb102e308
DATA ·c_ln2lo+4(SB)/4, $0xb102e308
DATA ·c_ln2lo+8(SB)/4, $0xb102e308
DATA ·c_ln2lo+12(SB)/4, $0xb102e308
DATA ·c_ln2lo+16(SB)/4, $0xb102e308
DATA ·c_ln2lo+20(SB)/4, $0xb102e308
DATA ·c_ln2lo+24(SB)/4, $0xb102e308
DATA ·c_ln2lo+28(SB)/4, $0xb102e308
GLOBL ·c_ln2lo(SB), RODATA|NOPTR, $32

DATA ·c_one+0(SB)/4, $0x3f800000
DATA ·c_one+4(SB)/4, $0x3f800000
DATA ·c_one+8(SB)/4, $0x3f800000
DATA ·c_one+12(SB)/4, $0x3f800000
DATA ·c_one+16(SB)/4, $0x3f800000
DATA ·c_one+20(SB)/4, $0x3f800000
DATA ·c_one+24(SB)/4, $0x3f800000
DATA ·c_one+28(SB)/4, $0x3f800000
GLOBL ·c_one(SB), RODATA|NOPTR, $32

DATA ·c_two+0(SB)/4, $0x40000000
DATA ·c_two+4(SB)/4, $0x40000000
DATA ·c_two+8(SB)/4, $0x40000000
DATA ·c_two+12(SB)/4, $0x40000000
DATA ·c_two+16(SB)/4, $0x40000000
DATA ·c_two+20(SB)/4, $0x40000000
DATA ·c_two+24(SB)/4, $0x40000000
DATA ·c_two+28(SB)/4, $0x40000000
GLOBL ·c_two(SB), RODATA|NOPTR, $32

DATA ·c_e7+0(SB)/4, $0x39500d01
DATA ·c_e7+4(SB)/4, $0x39500d01
DATA ·c_e7+8(SB)/4, $0x39500d01
DATA ·c_e7+12(SB)/4, $0x39500d01
DATA ·c_e7+16(SB)/4, $0x39500d01
DATA ·c_e7+20(SB)/4, $0x39500d01
DATA ·c_e7+24(SB)/4, $0x39500d01
DATA ·c_e7+28(SB)/4, $0x39500d01
GLOBL ·c_e7(SB), RODATA|NOPTR, $32

DATA ·c_e6+0(SB)/4, $0x3ab60b61
DATA ·c_e6+4(SB)/4, $0x3ab60b61
DATA ·c_e6+8(SB)/4, $0x3ab60b61
DATA ·c_e6+12(SB)/4, $0x3ab60b61
DATA ·c_e6+16(SB)/4, $0x3ab60b61
DATA ·c_e6+20(SB)/4, $0x3ab60b61
DATA ·c_e6+24(SB)/4, $0x3ab60b61
DATA ·c_e6+28(SB)/4, $0x3ab60b61
GLOBL ·c_e6(SB), RODATA|NOPTR, $32

DATA ·c_e5+0(SB)/4, $0x3c088889
DATA ·c_e5+4(SB)/4, $0x3c088889
DATA ·c_e5+8(SB)/4, $0x3c088889
DATA ·c_e5+12(SB)/4, $0x3c088889
DATA ·c_e5+16(SB)/4, $0x3c088889
DATA ·c_e5+20(SB)/4, $0x3c088889
DATA ·c_e5+24(SB)/4, $0x3c088889
DATA ·c_e5+28(SB)/4, $0x3c088889
GLOBL ·c_e5(SB), RODATA|NOPTR, $32

DATA ·c_e4+0(SB)/4, $0x3d2aaaab
DATA ·c_e4+4(SB)/4, $0x3d2aaaab
DATA ·c_e4+8(SB)/4, $0x3d2aaaab
DATA ·c_e4+12(SB)/4, $0x3d2aaaab
DATA ·c_e4+16(SB)/4, $0x3d2aaaab
DATA ·c_e4+20(SB)/4, $0x3d2aaaab
DATA ·c_e4+24(SB)/4, $0x3d2aaaab
DATA ·c_e4+28(SB)/4, $0x3d2aaaab
GLOBL ·c_e4(SB), RODATA|NOPTR, $32

DATA ·c_e3+0(SB)/4, $0x3e2aaaab
DATA ·c_e3+4(SB)/4, $0x3e2aaaab
DATA ·c_e3+8(SB)/4, $0x3e2aaaab
DATA ·c_e3+12(SB)/4, $0x3e2aaaab
DATA ·c_e3+16(SB)/4, $0x3e2aaaab
DATA ·c_e3+20(SB)/4, $0x3e2aaaab
DATA ·c_e3+24(SB)/4, $0x3e2aaaab
DATA ·c_e3+28(SB)/4, $0x3e2aaaab
GLOBL ·c_e3(SB), RODATA|NOPTR, $32

DATA ·c_e2+0(SB)/4, $0x3f000000
DATA ·c_e2+4(SB)/4, $0x3f000000
DATA ·c_e2+8(SB)/4, $0x3f000000
DATA ·c_e2+12(SB)/4, $0x3f000000
DATA ·c_e2+16(SB)/4, $0x3f000000
DATA ·c_e2+20(SB)/4, $0x3f000000
DATA ·c_e2+24(SB)/4, $0x3f000000
DATA ·c_e2+28(SB)/4, $0x3f000000
GLOBL ·c_e2(SB), RODATA|NOPTR, $32

DATA ·c_t11+0(SB)/4, $0xbc11371b
DATA ·c_t11+4(SB)/4, $0xbc11371b
DATA ·c_t11+8(SB)/4, $0xbc11371b
DATA ·c_t11+12(SB)/4, $0xbc11371b
DATA ·c_t11+16(SB)/4, $0xbc11371b
DATA ·c_t11+20(SB)/4, $0xbc11371b
DATA ·c_t11+24(SB)/4, $0xbc11371b
DATA ·c_t11+28(SB)/4, $0xbc11371b
GLOBL ·c_t11(SB), RODATA|NOPTR, $32

DATA ·c_t9+0(SB)/4, $0x3cb327a4
DATA ·c_t9+4(SB)/4, $0x3cb327a4
DATA ·c_t9+8(SB)/4, $0x3cb327a4
DATA ·c_t9+12(SB)/4, $0x3cb327a4
DATA ·c_t9+16(SB)/4, $0x3cb327a4
DATA ·c_t9+20(SB)/4, $0x3cb327a4
DATA ·c_t9+24(SB)/4, $0x3cb327a4
DATA ·c_t9+28(SB)/4, $0x3cb327a4
GLOBL ·c_t9(SB), RODATA|NOPTR, $32

DATA ·c_t7+0(SB)/4, $0xbd5d0dd1
DATA ·c_t7+4(SB)/4, $0xbd5d0dd1
DATA ·c_t7+8(SB)/4, $0xbd5d0dd1
DATA ·c_t7+12(SB)/4, $0xbd5d0dd1
DATA ·c_t7+16(SB)/4, $0xbd5d0dd1
DATA ·c_t7+20(SB)/4, $0xbd5d0dd1
DATA ·c_t7+24(SB)/4, $0xbd5d0dd1
DATA ·c_t7+28(SB)/4, $0xbd5d0dd1
GLOBL ·c_t7(SB), RODATA|NOPTR, $32

DATA ·c_t5+0(SB)/4, $0x3e088889
DATA ·c_t5+4(SB)/4, $0x3e088889
DATA ·c_t5+8(SB)/4, $0x3e088889
DATA ·c_t5+12(SB)/4, $0x3e088889
DATA ·c_t5+16(SB)/4, $0x3e088889
DATA ·c_t5+20(SB)/4, $0x3e088889
DATA ·c_t5+24(SB)/4, $0x3e088889
DATA ·c_t5+28(SB)/4, $0x3e088889
GLOBL ·c_t5(SB), RODATA|NOPTR, $32

DATA ·c_t3+0(SB)/4, $0xbeaaaaab
DATA ·c_t3+4(SB)/4, $0xbeaaaaab
DATA ·c_t3+8(SB)/4, $0xbeaaaaab
DATA ·c_t3+12(SB)/4, $0xbeaaaaab
DATA ·c_t3+16(SB)/4, $0xbeaaaaab
DATA ·c_t3+20(SB)/4, $0xbeaaaaab
DATA ·c_t3+24(SB)/4, $0xbeaaaaab
DATA ·c_t3+28(SB)/4, $0xbeaaaaab
GLOBL ·c_t3(SB), RODATA|NOPTR, $32

DATA ·c_sign+0(SB)/4, $0x80000000
DATA ·c_sign+4(SB)/4, $0x80000000
DATA ·c_sign+8(SB)/4, $0x80000000
DATA ·c_sign+12(SB)/4, $0x80000000
DATA ·c_sign+16(SB)/4, $0x80000000
DATA ·c_sign+20(SB)/4, $0x80000000
DATA ·c_sign+24(SB)/4, $0x80000000
DATA ·c_sign+28(SB)/4, $0x80000000
GLOBL ·c_sign(SB), RODATA|NOPTR, $32

DATA ·c_bias127+0(SB)/4, $0x0000007f
DATA ·c_bias127+4(SB)/4, $0x0000007f
DATA ·c_bias127+8(SB)/4, $0x0000007f
DATA ·c_bias127+12(SB)/4, $0x0000007f
DATA ·c_bias127+16(SB)/4, $0x0000007f
DATA ·c_bias127+20(SB)/4, $0x0000007f
DATA ·c_bias127+24(SB)/4, $0x0000007f
DATA ·c_bias127+28(SB)/4, $0x0000007f
GLOBL ·c_bias127(SB), RODATA|NOPTR, $32

DATA ·c_expLo+0(SB)/4, $0xc2ae0000
DATA ·c_expLo+4(SB)/4, $0xc2ae0000
DATA ·c_expLo+8(SB)/4, $0xc2ae0000
DATA ·c_expLo+12(SB)/4, $0xc2ae0000
DATA ·c_expLo+16(SB)/4, $0xc2ae0000
DATA ·c_expLo+20(SB)/4, $0xc2ae0000
DATA ·c_expLo+24(SB)/4, $0xc2ae0000
DATA ·c_expLo+28(SB)/4, $0xc2ae0000
GLOBL ·c_expLo(SB), RODATA|NOPTR, $32

DATA ·c_expHi+0(SB)/4, $0x42b00000
DATA ·c_expHi+4(SB)/4, $0x42b00000
DATA ·c_expHi+8(SB)/4, $0x42b00000
DATA ·c_expHi+12(SB)/4, $0x42b00000
DATA ·c_expHi+16(SB)/4, $0x42b00000
DATA ·c_expHi+20(SB)/4, $0x42b00000
DATA ·c_expHi+24(SB)/4, $0x42b00000
DATA ·c_expHi+28(SB)/4, $0x42b00000
GLOBL ·c_expHi(SB), RODATA|NOPTR, $32

// func tanhGradAVX2(n int, dz, y, dy *float32)
// dz = dy·(1 − y²); n must be a multiple of 8.
TEXT ·tanhGradAVX2(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ dz+8(FP), DI
	MOVQ y+16(FP), SI
	MOVQ dy+24(FP), DX
	VMOVUPS ·c_one(SB), Y14
	SHRQ $3, CX
	JZ   tgdone

tgloop:
	VMOVUPS (SI), Y0
	VMOVAPS Y14, Y1
	VFNMADD231PS Y0, Y0, Y1        // 1 − y²
	VMULPS  (DX), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     tgloop

tgdone:
	VZEROUPPER
	RET

// func reluAVX2(n int, x *float32)
TEXT ·reluAVX2(SB), NOSPLIT, $0-16
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), SI
	VXORPS Y15, Y15, Y15
	SHRQ $3, CX
	JZ   reludone

reluloop:
	VMOVUPS (SI), Y0
	VMAXPS  Y15, Y0, Y0
	VMOVUPS Y0, (SI)
	ADDQ    $32, SI
	DECQ    CX
	JNZ     reluloop

reludone:
	VZEROUPPER
	RET

// func reluGradAVX2(n int, dz, y, dy *float32)
// dz = dy where y > 0, else 0.
TEXT ·reluGradAVX2(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ dz+8(FP), DI
	MOVQ y+16(FP), SI
	MOVQ dy+24(FP), DX
	VXORPS Y15, Y15, Y15
	SHRQ $3, CX
	JZ   rgdone

rgloop:
	VMOVUPS (SI), Y0
	VCMPPS  $14, Y15, Y0, Y1       // y > 0
	VANDPS  (DX), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     rgloop

rgdone:
	VZEROUPPER
	RET

// func addAVX2(n int, dst, src *float32)
// dst += src; n must be a multiple of 8.
TEXT ·addAVX2(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
	SHRQ $3, CX
	JZ   adddone

addloop:
	VMOVUPS (DI), Y0
	VADDPS  (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     addloop

adddone:
	VZEROUPPER
	RET

// func adamAVX2(n int, w, gr, m, v *float32, b1, omb1, b2, omb2, c1, c2, eps, negEta float32)
// m = b1·m + (1−b1)·g; v = b2·v + (1−b2)·g²;
// w += (−η·m·c1) / (sqrt(v·c2) + ε); n must be a multiple of 8.
// Denormal results are flushed to zero (MXCSR FTZ+DAZ for the duration of
// the call): moments that decay geometrically would otherwise sink into the
// denormal range and slow every later step.
TEXT ·adamAVX2(SB), NOSPLIT, $16-72
	STMXCSR old-8(SP)
	MOVL    old-8(SP), AX
	ORL     $0x8040, AX
	MOVL    AX, ftz-16(SP)
	LDMXCSR ftz-16(SP)
	MOVQ n+0(FP), CX
	MOVQ w+8(FP), DI
	MOVQ gr+16(FP), SI
	MOVQ m+24(FP), DX
	MOVQ v+32(FP), R8
	VBROADCASTSS b1+40(FP), Y8
	VBROADCASTSS omb1+44(FP), Y9
	VBROADCASTSS b2+48(FP), Y10
	VBROADCASTSS omb2+52(FP), Y11
	VBROADCASTSS c1+56(FP), Y12
	VBROADCASTSS c2+60(FP), Y13
	VBROADCASTSS eps+64(FP), Y14
	VBROADCASTSS negEta+68(FP), Y15
	SHRQ $3, CX
	JZ   adamdone

adamloop:
	VMOVUPS (SI), Y0               // g
	VMULPS  Y9, Y0, Y1             // (1−b1)·g
	VMOVUPS (DX), Y2               // m
	VFMADD213PS Y1, Y8, Y2         // m = m·b1 + (1−b1)·g
	VMOVUPS Y2, (DX)
	VMULPS  Y0, Y0, Y3             // g²
	VMULPS  Y11, Y3, Y3            // (1−b2)·g²
	VMOVUPS (R8), Y4               // v
	VFMADD213PS Y3, Y10, Y4        // v = v·b2 + (1−b2)·g²
	VMOVUPS Y4, (R8)
	VMULPS  Y12, Y2, Y2            // m̂
	VMULPS  Y13, Y4, Y4            // v̂
	VSQRTPS Y4, Y4
	VADDPS  Y14, Y4, Y4
	VMULPS  Y15, Y2, Y2            // −η·m̂
	VDIVPS  Y4, Y2, Y2
	VADDPS  (DI), Y2, Y2
	VMOVUPS Y2, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, R8
	DECQ    CX
	JNZ     adamloop

adamdone:
	LDMXCSR old-8(SP)
	VZEROUPPER
	RET

// func expAVX2(n int, x *float32)
// x = e^x for n (a multiple of 8) values, inputs clamped to [−87, 88]:
// e^x = 2^k·Q(r), r = x − k·ln2, Q the degree-7 Taylor polynomial.
TEXT ·expAVX2(SB), NOSPLIT, $0-16
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), SI
	VMOVUPS ·c_one(SB), Y14
	VMOVUPS ·c_expLo(SB), Y13
	VMOVUPS ·c_expHi(SB), Y12
	SHRQ $3, CX
	JZ   expdone

exploop:
	VMOVUPS (SI), Y6
	VMAXPS  Y13, Y6, Y6
	VMINPS  Y12, Y6, Y6
	VMULPS  ·c_log2e(SB), Y6, Y7
	VROUNDPS $0, Y7, Y7
	VFNMADD231PS ·c_ln2hi(SB), Y7, Y6
	VFNMADD231PS ·c_ln2lo(SB), Y7, Y6
	VMOVUPS ·c_e7(SB), Y8
	VFMADD213PS ·c_e6(SB), Y6, Y8
	VFMADD213PS ·c_e5(SB), Y6, Y8
	VFMADD213PS ·c_e4(SB), Y6, Y8
	VFMADD213PS ·c_e3(SB), Y6, Y8
	VFMADD213PS ·c_e2(SB), Y6, Y8
	VFMADD213PS Y14, Y6, Y8
	VFMADD213PS Y14, Y6, Y8
	VCVTPS2DQ Y7, Y9
	VPADDD  ·c_bias127(SB), Y9, Y9
	VPSLLD  $23, Y9, Y9
	VMULPS  Y9, Y8, Y8
	VMOVUPS Y8, (SI)
	ADDQ    $32, SI
	DECQ    CX
	JNZ     exploop

expdone:
	VZEROUPPER
	RET

// func tanh16AVX2(n int, x *float32)
// n must be a multiple of 8. tanh(x) = sign(x)·t(|x|) with
// t(a) = a + a³·P(a²) (Taylor to a¹¹) for a < 0.35, else 1 − 2/(e^{2a}+1),
// e^y = 2^k·Q(r) with r = y − k·ln2 and Q the degree-7 Taylor polynomial.
// Two independent vectors per iteration let the long exp/divide chain of one
// overlap the other.
TEXT ·tanh16AVX2(SB), NOSPLIT, $0-16
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), SI
	VMOVUPS ·c_sign(SB), Y15
	VMOVUPS ·c_one(SB), Y14
	SHRQ $3, CX
	CMPQ CX, $2
	JLT  t16tail

t16loop:
	VMOVUPS 0(SI), Y1
	VMOVUPS 32(SI), Y6
	VANDPS Y15, Y1, Y0
	VANDPS Y15, Y6, Y5
	VXORPS Y0, Y1, Y1
	VXORPS Y5, Y6, Y6
	VMINPS ·c_tanhClamp(SB), Y1, Y1
	VMINPS ·c_tanhClamp(SB), Y6, Y6
	VADDPS Y1, Y1, Y2
	VADDPS Y6, Y6, Y7
	VMULPS ·c_log2e(SB), Y2, Y3
	VMULPS ·c_log2e(SB), Y7, Y8
	VROUNDPS $0, Y3, Y3
	VROUNDPS $0, Y8, Y8
	VFNMADD231PS ·c_ln2hi(SB), Y3, Y2
	VFNMADD231PS ·c_ln2hi(SB), Y8, Y7
	VFNMADD231PS ·c_ln2lo(SB), Y3, Y2
	VFNMADD231PS ·c_ln2lo(SB), Y8, Y7
	VMOVUPS ·c_e7(SB), Y4
	VMOVUPS ·c_e7(SB), Y9
	VFMADD213PS ·c_e6(SB), Y2, Y4
	VFMADD213PS ·c_e6(SB), Y7, Y9
	VFMADD213PS ·c_e5(SB), Y2, Y4
	VFMADD213PS ·c_e5(SB), Y7, Y9
	VFMADD213PS ·c_e4(SB), Y2, Y4
	VFMADD213PS ·c_e4(SB), Y7, Y9
	VFMADD213PS ·c_e3(SB), Y2, Y4
	VFMADD213PS ·c_e3(SB), Y7, Y9
	VFMADD213PS ·c_e2(SB), Y2, Y4
	VFMADD213PS ·c_e2(SB), Y7, Y9
	VFMADD213PS Y14, Y2, Y4
	VFMADD213PS Y14, Y7, Y9
	VFMADD213PS Y14, Y2, Y4
	VFMADD213PS Y14, Y7, Y9
	VCVTPS2DQ Y3, Y3
	VCVTPS2DQ Y8, Y8
	VPADDD ·c_bias127(SB), Y3, Y3
	VPADDD ·c_bias127(SB), Y8, Y8
	VPSLLD $23, Y3, Y3
	VPSLLD $23, Y8, Y8
	VMULPS Y3, Y4, Y4
	VMULPS Y8, Y9, Y9
	VADDPS Y14, Y4, Y4
	VADDPS Y14, Y9, Y9
	VMOVUPS ·c_two(SB), Y3
	VMOVUPS ·c_two(SB), Y8
	VDIVPS Y4, Y3, Y4
	VDIVPS Y9, Y8, Y9
	VSUBPS Y4, Y14, Y4
	VSUBPS Y9, Y14, Y9
	VMULPS Y1, Y1, Y2
	VMULPS Y6, Y6, Y7
	VMOVUPS ·c_t11(SB), Y3
	VMOVUPS ·c_t11(SB), Y8
	VFMADD213PS ·c_t9(SB), Y2, Y3
	VFMADD213PS ·c_t9(SB), Y7, Y8
	VFMADD213PS ·c_t7(SB), Y2, Y3
	VFMADD213PS ·c_t7(SB), Y7, Y8
	VFMADD213PS ·c_t5(SB), Y2, Y3
	VFMADD213PS ·c_t5(SB), Y7, Y8
	VFMADD213PS ·c_t3(SB), Y2, Y3
	VFMADD213PS ·c_t3(SB), Y7, Y8
	VMULPS Y1, Y2, Y2
	VMULPS Y6, Y7, Y7
	VFMADD213PS Y1, Y2, Y3
	VFMADD213PS Y6, Y7, Y8
	VCMPPS $1, ·c_tanhThresh(SB), Y1, Y2
	VCMPPS $1, ·c_tanhThresh(SB), Y6, Y7
	VBLENDVPS Y2, Y3, Y4, Y4
	VBLENDVPS Y7, Y8, Y9, Y9
	VORPS Y0, Y4, Y4
	VORPS Y5, Y9, Y9
	VMOVUPS Y4, 0(SI)
	VMOVUPS Y9, 32(SI)
	ADDQ $64, SI
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  t16loop

t16tail:
	TESTQ CX, CX
	JZ    t16done
	VMOVUPS 0(SI), Y1
	VANDPS Y15, Y1, Y0
	VXORPS Y0, Y1, Y1
	VMINPS ·c_tanhClamp(SB), Y1, Y1
	VADDPS Y1, Y1, Y2
	VMULPS ·c_log2e(SB), Y2, Y3
	VROUNDPS $0, Y3, Y3
	VFNMADD231PS ·c_ln2hi(SB), Y3, Y2
	VFNMADD231PS ·c_ln2lo(SB), Y3, Y2
	VMOVUPS ·c_e7(SB), Y4
	VFMADD213PS ·c_e6(SB), Y2, Y4
	VFMADD213PS ·c_e5(SB), Y2, Y4
	VFMADD213PS ·c_e4(SB), Y2, Y4
	VFMADD213PS ·c_e3(SB), Y2, Y4
	VFMADD213PS ·c_e2(SB), Y2, Y4
	VFMADD213PS Y14, Y2, Y4
	VFMADD213PS Y14, Y2, Y4
	VCVTPS2DQ Y3, Y3
	VPADDD ·c_bias127(SB), Y3, Y3
	VPSLLD $23, Y3, Y3
	VMULPS Y3, Y4, Y4
	VADDPS Y14, Y4, Y4
	VMOVUPS ·c_two(SB), Y3
	VDIVPS Y4, Y3, Y4
	VSUBPS Y4, Y14, Y4
	VMULPS Y1, Y1, Y2
	VMOVUPS ·c_t11(SB), Y3
	VFMADD213PS ·c_t9(SB), Y2, Y3
	VFMADD213PS ·c_t7(SB), Y2, Y3
	VFMADD213PS ·c_t5(SB), Y2, Y3
	VFMADD213PS ·c_t3(SB), Y2, Y3
	VMULPS Y1, Y2, Y2
	VFMADD213PS Y1, Y2, Y3
	VCMPPS $1, ·c_tanhThresh(SB), Y1, Y2
	VBLENDVPS Y2, Y3, Y4, Y4
	VORPS Y0, Y4, Y4
	VMOVUPS Y4, 0(SI)

t16done:
	VZEROUPPER
	RET
