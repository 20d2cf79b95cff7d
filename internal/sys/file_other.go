//go:build unix && !linux

package sys

import "golang.org/x/sys/unix"

// Fstat describes the file open as fd; Born stays zero.
func Fstat(fd int) (Stat, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return Stat{}, err
	}
	return Stat{Size: st.Size, Mode: uint32(st.Mode), UID: int(st.Uid)}, nil
}
