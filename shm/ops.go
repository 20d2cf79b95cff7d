package shm

import (
	"github.com/fpmshm/fpmshm/internal/sys"
)

// Advice is a hint for Advise about how the segment will be used.
type Advice int

// The advice Advise accepts. DontDump keeps the segment out of core dumps
// (request URIs and query strings stay private); DoDump undoes it.
const (
	AdviseNormal Advice = iota
	AdviseRandom
	AdviseSequential
	AdviseWillNeed
	AdviseDontNeed
	AdviseDontDump
	AdviseDoDump
	AdviseHugePage
)

var adviceValues = [...]int{
	AdviseNormal:     sys.MadvNormal,
	AdviseRandom:     sys.MadvRandom,
	AdviseSequential: sys.MadvSequential,
	AdviseWillNeed:   sys.MadvWillNeed,
	AdviseDontNeed:   sys.MadvDontNeed,
	AdviseDontDump:   sys.MadvDontDump,
	AdviseDoDump:     sys.MadvDoDump,
	AdviseHugePage:   sys.MadvHugePage,
}

// Protect changes the segment's protection (mprotect). Making a segment
// mapped from a read-only file writable fails with EACCES.
func (s *Segment) Protect(p Prot) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.liveLocked("protect"); err != nil {
		return err
	}
	if p&^(ProtRead|ProtWrite|ProtExec) != 0 {
		return s.fail("protect", ErrFlags, "unknown protection bits")
	}
	if err := sys.Mprotect(s.base, s.maplen, int(p)); err != nil {
		return s.fail("protect", err, "mprotect to "+p.String())
	}
	s.prot = p
	return nil
}

// Lock locks the segment's pages in memory (mlock). Past RLIMIT_MEMLOCK it
// fails with ENOMEM (or EPERM when the limit is 0), naming the limit.
func (s *Segment) Lock() error {
	return s.memOp("lock", func() error { return sys.Mlock(s.base, s.maplen) })
}

// Unlock undoes Lock (munlock).
func (s *Segment) Unlock() error {
	return s.memOp("unlock", func() error { return sys.Munlock(s.base, s.maplen) })
}

// Sync writes a file-backed segment back to its file and waits (msync).
func (s *Segment) Sync() error {
	return s.memOp("sync", func() error { return sys.Msync(s.base, s.maplen) })
}

// Advise passes advice about the segment to the kernel (madvise). Advice
// this platform lacks returns an error matching ErrNotSupported.
func (s *Segment) Advise(a Advice) error {
	if a < 0 || int(a) >= len(adviceValues) {
		return s.fail("advise", ErrFlags, "unknown advice")
	}
	v := adviceValues[a]
	if v < 0 {
		return s.fail("advise", ErrNotSupported, "")
	}
	return s.memOp("advise", func() error { return sys.Madvise(s.base, s.maplen, v) })
}

// memOp runs a system call on the live mapping and wraps its failure.
func (s *Segment) memOp(op string, call func() error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.liveLocked(op); err != nil {
		return err
	}
	if err := call(); err != nil {
		detail := ""
		if op == "lock" {
			detail = memlockFacts()
		}
		return s.fail(op, err, detail)
	}
	return nil
}
