package sys

import (
	"time"

	"golang.org/x/sys/unix"
)

// Fstat describes the file open as fd, with its birth time where the file
// system keeps one (statx's STATX_BTIME: tmpfs and memfds do).
func Fstat(fd int) (Stat, error) {
	var st unix.Statx_t
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH, unix.STATX_BASIC_STATS|unix.STATX_BTIME, &st); err != nil {
		return Stat{}, err
	}
	s := Stat{Size: int64(st.Size), Mode: uint32(st.Mode), UID: int(st.Uid)}
	if st.Mask&unix.STATX_BTIME != 0 {
		s.Born = time.Unix(st.Btime.Sec, int64(st.Btime.Nsec))
	}
	return s, nil
}
