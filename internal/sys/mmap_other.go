//go:build unix && !linux

package sys

// Linux-only mapping flags; zero here, and refused by the callers.
const (
	MapFixedNoReplace = 0
	MapLocked         = 0
	MapDenyWrite      = 0
	MapPopulate       = 0
	MapHugeTLB        = 0
)

// Madvise advice values; those Linux alone has are -1 here.
const (
	MadvNormal     = 0
	MadvRandom     = 1
	MadvSequential = 2
	MadvWillNeed   = 3
	MadvDontNeed   = 4
	MadvDontDump   = -1
	MadvDoDump     = -1
	MadvHugePage   = -1
)

// Memfd seals; memfd is Linux-only.
const (
	SealShrink = 0
	SealGrow   = 0
	SealWrite  = 0
	SealSeal   = 0
)

// MemfdCreate returns ErrNotSupported.
func MemfdCreate(name string) (int, error) { return -1, ErrNotSupported }

// AddSeals returns ErrNotSupported.
func AddSeals(fd int, seals int) error { return ErrNotSupported }

// Seals returns ErrNotSupported.
func Seals(fd int) (int, error) { return 0, ErrNotSupported }

// Fallocate returns ErrNotSupported.
func Fallocate(fd int, off, length int64) error { return ErrNotSupported }

// MemoryCapacity returns ErrNotSupported.
func MemoryCapacity() (bytes uint64, cgroup string, err error) { return 0, "", ErrNotSupported }

// MemlockLimit returns ErrNotSupported.
func MemlockLimit() (uint64, error) { return 0, ErrNotSupported }

// SetMemlockLimit returns ErrNotSupported.
func SetMemlockLimit(n uint64) error { return ErrNotSupported }
