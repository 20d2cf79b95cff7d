//go:build !(armbe || arm64be || m68k || mips || mips64 || mips64p32 || ppc || ppc64 || s390 || s390x || shbe || sparc || sparc64)

package shmsync

// futexOffset is where the low 32 bits of a 64-bit word lie in memory.
const futexOffset = 0
