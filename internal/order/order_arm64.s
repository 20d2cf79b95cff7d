//go:build arm64 && !race

#include "textflag.h"

// func StoreRelease64(addr *uint64, v uint64)
TEXT ·StoreRelease64(SB), NOSPLIT, $0-16
	MOVD	addr+0(FP), R0
	MOVD	v+8(FP), R1
	STLR	R1, (R0)
	RET

// func AcquireFence()
TEXT ·AcquireFence(SB), NOSPLIT, $0-0
	DMB	$0x9 // ISHLD
	RET

// func ReleaseFence()
TEXT ·ReleaseFence(SB), NOSPLIT, $0-0
	DMB	$0xb // ISH
	RET
