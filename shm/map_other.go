//go:build unix && !linux

package shm

// unsupportedFlags refuses the flags only Linux has.
func unsupportedFlags(f Flag) error {
	if f&(Populate|HugePages) != 0 {
		return ErrNotSupported
	}
	return nil
}

// hugeRound is pageRound: huge pages are refused before it matters.
func hugeRound(n int) uintptr { return pageRound(n) }
