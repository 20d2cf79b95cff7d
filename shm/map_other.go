//go:build unix && !linux

package shm

// unsupportedFlags refuses the flags only Linux has.
func unsupportedFlags(f Flag) error {
	if f&(Populate|HugePages) != 0 {
		return ErrNotSupported
	}
	return nil
}

// hugePageSize is the page size: huge pages are refused before it matters.
func hugePageSize() int { return pageSize }
