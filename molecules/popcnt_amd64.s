//go:build !purego

#include "textflag.h"

// func andCountsVPOPCNT32(q *uint64, rows *uint64, n int, out *uint32)
//
// For 2048-bit fingerprints (32 words): out[j] = popcount(q AND row j) for
// the n rows stored back to back at rows. The query stays in Z0..Z3; each
// row is four 64-byte loads ANDed with it, VPOPCNTQ per lane, and the lanes
// summed.
TEXT ·andCountsVPOPCNT32(SB), NOSPLIT, $0-32
	MOVQ q+0(FP), AX
	MOVQ rows+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ out+24(FP), DI
	TESTQ CX, CX
	JZ   done32
	VMOVDQU64 0(AX), Z0
	VMOVDQU64 64(AX), Z1
	VMOVDQU64 128(AX), Z2
	VMOVDQU64 192(AX), Z3

loop32:
	VPANDQ   0(SI), Z0, Z4
	VPANDQ   64(SI), Z1, Z5
	VPANDQ   128(SI), Z2, Z6
	VPANDQ   192(SI), Z3, Z7
	VPOPCNTQ Z4, Z4
	VPOPCNTQ Z5, Z5
	VPOPCNTQ Z6, Z6
	VPOPCNTQ Z7, Z7
	VPADDQ   Z5, Z4, Z4
	VPADDQ   Z7, Z6, Z6
	VPADDQ   Z6, Z4, Z4
	VEXTRACTI64X4 $1, Z4, Y5
	VPADDQ   Y5, Y4, Y4
	VEXTRACTI128 $1, Y4, X5
	VPADDQ   X5, X4, X4
	VPSHUFD  $0x4e, X4, X5
	VPADDQ   X5, X4, X4
	VMOVD    X4, (DI)
	ADDQ     $256, SI
	ADDQ     $4, DI
	DECQ     CX
	JNZ      loop32
	VZEROUPPER

done32:
	RET

// func andCountsVPOPCNT(q *uint64, nw int, rows *uint64, n int, out *uint32)
//
// The general form for nw a positive multiple of 8 words: each row is nw/8
// 64-byte chunks ANDed with the query's chunks (read from L1), counted per
// lane and summed.
TEXT ·andCountsVPOPCNT(SB), NOSPLIT, $0-40
	MOVQ q+0(FP), AX
	MOVQ nw+8(FP), BX
	MOVQ rows+16(FP), SI
	MOVQ n+24(FP), CX
	MOVQ out+32(FP), DI
	TESTQ CX, CX
	JZ   doneN
	SHRQ $3, BX

rowN:
	VPXORQ Z4, Z4, Z4
	MOVQ   AX, R8
	MOVQ   BX, DX

chunkN:
	VMOVDQU64 0(R8), Z5
	VPANDQ    0(SI), Z5, Z5
	VPOPCNTQ  Z5, Z5
	VPADDQ    Z5, Z4, Z4
	ADDQ      $64, R8
	ADDQ      $64, SI
	DECQ      DX
	JNZ       chunkN

	VEXTRACTI64X4 $1, Z4, Y5
	VPADDQ   Y5, Y4, Y4
	VEXTRACTI128 $1, Y4, X5
	VPADDQ   X5, X4, X4
	VPSHUFD  $0x4e, X4, X5
	VPADDQ   X5, X4, X4
	VMOVD    X4, (DI)
	ADDQ     $4, DI
	DECQ     CX
	JNZ      rowN
	VZEROUPPER

doneN:
	RET

DATA ·f64one+0(SB)/8, $0x3ff0000000000000
GLOBL ·f64one(SB), RODATA|NOPTR, $8

// func simsFromCountsAVX512(counts *uint32, n int, tot int, out *float64)
//
// out[j] = counts[j] / (tot - counts[j]), 1 where the denominator is 0,
// eight at a time (n a multiple of 8). VDIVPD rounds each lane like the
// scalar division, so the results equal tanimotoFromCounts bit for bit.
TEXT ·simsFromCountsAVX512(SB), NOSPLIT, $0-32
	MOVQ counts+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ tot+16(FP), AX
	MOVQ out+24(FP), DI
	SHRQ $3, CX
	JZ   doneS
	VPBROADCASTD AX, Y2
	VBROADCASTSD ·f64one(SB), Z3

loopS:
	VMOVDQU32  (SI), Y0
	VPSUBD     Y0, Y2, Y1
	VPTESTNMD  Y1, Y1, K1
	VCVTDQ2PD  Y0, Z0
	VCVTDQ2PD  Y1, Z1
	VDIVPD     Z1, Z0, Z0
	VMOVAPD    Z3, K1, Z0
	VMOVUPD    Z0, (DI)
	ADDQ       $32, SI
	ADDQ       $64, DI
	DECQ       CX
	JNZ        loopS
	VZEROUPPER

doneS:
	RET

// Nibble popcounts (0..15) in both 128-bit lanes, and the low-nibble mask.
DATA ·nibbleCounts+0(SB)/8, $0x0302020102010100
DATA ·nibbleCounts+8(SB)/8, $0x0403030203020201
DATA ·nibbleCounts+16(SB)/8, $0x0302020102010100
DATA ·nibbleCounts+24(SB)/8, $0x0403030203020201
GLOBL ·nibbleCounts(SB), RODATA|NOPTR, $32

DATA ·lowNibbles+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA ·lowNibbles+8(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA ·lowNibbles+16(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA ·lowNibbles+24(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL ·lowNibbles(SB), RODATA|NOPTR, $32

// func andCountsAVX2(q *uint64, nw int, rows *uint64, n int, out *uint32)
//
// For nw a positive multiple of 4 words: each 32-byte chunk of a row is
// ANDed with the query's, its bytes counted by two VPSHUFB nibble lookups,
// the byte counts summed into 64-bit lanes by VPSADBW, and the lanes summed
// per row (Muła's vpshufb popcount).
TEXT ·andCountsAVX2(SB), NOSPLIT, $0-40
	MOVQ q+0(FP), AX
	MOVQ nw+8(FP), BX
	MOVQ rows+16(FP), SI
	MOVQ n+24(FP), CX
	MOVQ out+32(FP), DI
	TESTQ CX, CX
	JZ   doneA
	SHRQ $2, BX
	VMOVDQU ·nibbleCounts(SB), Y15
	VMOVDQU ·lowNibbles(SB), Y14
	VPXOR   Y13, Y13, Y13

rowA:
	VPXOR Y0, Y0, Y0
	MOVQ  AX, R8
	MOVQ  BX, DX

chunkA:
	VMOVDQU (R8), Y1
	VPAND   (SI), Y1, Y1
	VPSRLW  $4, Y1, Y2
	VPAND   Y14, Y1, Y1
	VPAND   Y14, Y2, Y2
	VPSHUFB Y1, Y15, Y1
	VPSHUFB Y2, Y15, Y2
	VPADDB  Y2, Y1, Y1
	VPSADBW Y13, Y1, Y1
	VPADDQ  Y1, Y0, Y0
	ADDQ    $32, R8
	ADDQ    $32, SI
	DECQ    DX
	JNZ     chunkA

	VEXTRACTI128 $1, Y0, X1
	VPADDQ  X1, X0, X0
	VPSHUFD $0x4e, X0, X1
	VPADDQ  X1, X0, X0
	VMOVD   X0, (DI)
	ADDQ    $4, DI
	DECQ    CX
	JNZ     rowA
	VZEROUPPER

doneA:
	RET
