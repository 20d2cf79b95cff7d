package sys

import (
	"bytes"
	"strconv"

	"golang.org/x/sys/unix"
)

// ProcessStat returns the start time of process pid, in clock ticks since
// boot (field 22 of /proc/<pid>/stat), and its state letter (field 3: 'R',
// 'S', 'D', 'Z' for a zombie, 'X' for a dead process, ...). Start time and
// pid together name a process for good: a pid reused later belongs to a
// process with a later start time. When no process has that pid the error
// is ENOENT (or ESRCH if it ended while being read).
func ProcessStat(pid int) (start uint64, state byte, err error) {
	if pid <= 0 {
		return 0, 0, unix.ESRCH
	}
	fd, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/stat", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, 0, err
	}
	var buf [1024]byte
	n, err := unix.Read(fd, buf[:])
	unix.Close(fd)
	if err != nil {
		return 0, 0, err
	}
	return parseStat(buf[:max(n, 0)])
}

// parseStat reads the state and start time out of a /proc/<pid>/stat line.
// The command name (field 2) is in parentheses and may hold spaces and
// parentheses itself, so the fields are counted after its last ')'.
func parseStat(b []byte) (start uint64, state byte, err error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, unix.EINVAL
	}
	fields := bytes.Fields(b[i+1:]) // fields[0] is field 3
	const startField = 22 - 3
	if len(fields) <= startField || len(fields[0]) != 1 {
		return 0, 0, unix.EINVAL
	}
	start, err = strconv.ParseUint(string(fields[startField]), 10, 64)
	if err != nil {
		return 0, 0, unix.EINVAL
	}
	return start, fields[0][0], nil
}
