//go:build unix && !linux

package sys

// ProcessStat returns ErrNotSupported: there is no /proc here.
func ProcessStat(pid int) (start uint64, state byte, err error) {
	return 0, 0, ErrNotSupported
}
