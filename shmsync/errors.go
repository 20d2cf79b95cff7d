package shmsync

import (
	"errors"
	"fmt"
)

// ErrOwnerDead is matched (errors.Is) by the error of a lock operation that
// took the lock over from a process that died holding it. The lock is then
// held by the caller, as after a successful Lock, but the data it protects
// may have been left half-updated: the caller must check and repair it, or
// reset it, before unlocking. This is the EOWNERDEAD of POSIX robust
// mutexes. The error is an *OwnerDeadError naming the dead process.
var ErrOwnerDead = errors.New("shmsync: lock owner died")

// ErrNotOwner is returned by Unlock when this process does not hold the
// lock; the lock is left as it was.
var ErrNotOwner = errors.New("shmsync: unlock of a lock this process does not hold")

// ErrWriterDead is returned by a seqlock read that found a write in
// progress whose writer has died: the record may be half-written. It
// lasts until the next write, or Repair, after which reads succeed again.
var ErrWriterDead = errors.New("shmsync: seqlock writer died in the middle of a write")

// OwnerDeadError is the error that reports a takeover: the lock is now held
// by the caller and process PID died holding it. It matches ErrOwnerDead.
type OwnerDeadError struct {
	PID int // the process that died holding the lock
}

func (e *OwnerDeadError) Error() string {
	return fmt.Sprintf("shmsync: lock owner (pid %d) died holding the lock; the data it protects may be inconsistent", e.PID)
}

// Unwrap returns ErrOwnerDead.
func (e *OwnerDeadError) Unwrap() error { return ErrOwnerDead }
