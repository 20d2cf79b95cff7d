package shmsync

import (
	"errors"
	"hash/maphash"
	"os"
	"syscall"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// A process identity, as stored in a lock word: the pid in the low 32 bits
// and the generation in the high 32. The generation is the process's start
// time (clock ticks since boot, /proc/<pid>/stat field 22), low 32 bits,
// never 0; a pid reused by a later process comes with another generation.
// Linux pids are below 2^22, which leaves the top bit of the low half free
// for waitBit.
const (
	waitBit = 1 << 31     // in a lock word: someone may be asleep on it
	pidMask = waitBit - 1 // the pid bits of the low half
)

// self is this process's identity, computed once.
var self = selfIdentity()

func selfIdentity() uint64 {
	pid := os.Getpid()
	start, _, err := sys.ProcessStat(pid)
	if err != nil {
		// No /proc: a random generation still tells this process's words
		// from a predecessor's in tests, though others cannot check it.
		start = new(maphash.Hash).Sum64()
	}
	return identity(pid, start)
}

// identity packs pid and a start time into a lock word.
func identity(pid int, start uint64) uint64 {
	return uint64(generation(start))<<32 | uint64(uint32(pid)&pidMask)
}

// generation maps a start time to the non-zero 32 bits stored.
func generation(start uint64) uint32 {
	if g := uint32(start); g != 0 {
		return g
	}
	return 1
}

// pidOf returns the pid in a lock word.
func pidOf(v uint64) int { return int(uint32(v) & pidMask) }

// alive reports whether the process identified by v (a lock word, wait bit
// ignored) is still running. A process that cannot be checked (an
// unexpected error) counts as alive: a lock is never taken from a process
// that may hold it.
func alive(v uint64) bool {
	v &^= waitBit
	if v == self {
		return true
	}
	pid := pidOf(v)
	if pid == 0 {
		return false
	}
	start, state, err := sys.ProcessStat(pid)
	switch {
	case err == nil:
		return state != 'Z' && state != 'X' && identity(pid, start) == v
	case errors.Is(err, sys.ErrNotSupported):
		ok, err := sys.ProcessExists(pid)
		return ok || err != nil
	case errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ESRCH):
		// Gone, unless /proc hides other users' processes (hidepid):
		// then only kill can tell, and a reused pid goes unnoticed.
		ok, err := sys.ProcessExists(pid)
		return ok || err != nil
	default:
		return true
	}
}
