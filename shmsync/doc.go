// Package shmsync provides synchronisation that lives inside shared memory
// and survives the death of the processes using it: a Mutex that records
// its holder and is taken over when the holder dies, and a Seqlock (with
// the generic Record) for records that many processes read and few write.
//
// Both are plain fixed-width words, meant to be placed in a segment with
// shm.View; their zero value is ready to use, so a freshly allocated
// (zero-filled) segment needs no initialisation.
//
// # What goes wrong in PHP-FPM, and what this package does instead
//
// FPM's scoreboard lock is a word set to 1: a worker killed while holding
// it wedges every other process (php-src GH-16432). A Mutex's word holds
// the holder's pid and a generation (the process's start time), so any
// process can tell that the holder has died, even if its pid was reused,
// and take the lock over; the one that does is told so with an error
// matching ErrOwnerDead, because the data the lock protects may be
// half-updated.
//
// FPM's readers count themselves in the shared record, so a reader that
// dies leaves a count behind and writers guess at "crashed readers"
// (GH-17912). A Seqlock's readers never write to shared memory: a reader
// that dies affects no one and a writer never waits for a reader.
//
// # The memory model
//
// Every operation here is, for the Go memory model, as strong as the
// sync/atomic operations it is built from, with two documented exceptions
// made for speed: Mutex.Unlock and the end of a seqlock write publish with
// a release store (a plain MOV on amd64, STLR on arm64) instead of a
// sequentially consistent one. Acquire/release is exactly what a lock and a
// seqlock need: everything written before Unlock (or EndWrite) is visible
// to the process whose Lock (or successful read) observes it.
//
// Reads of a seqlocked record while a writer changes it are data races in
// the Go sense. They are confined to shared memory mapped outside the Go
// heap, which the race detector does not track, and the sequence check
// throws away every copy a writer may have torn. Never put a Mutex, a
// Seqlock or a Record in ordinary Go memory: the race detector would
// rightly complain, and no other process could see it anyway.
//
// # Platforms
//
// On Linux waiting sleeps on a futex shared between processes (FUTEX_WAIT
// and FUTEX_WAKE without FUTEX_PRIVATE_FLAG), and a holder is dead when
// /proc/<pid>/stat is gone, shows a zombie, or shows a start time other
// than the one recorded (or, when /proc hides other users' processes, when
// kill(pid, 0) fails with ESRCH). Elsewhere waiting polls with short
// sleeps, and a holder is dead when kill(pid, 0) fails with ESRCH: a reused
// pid is not detected there. Processes sharing a lock must see the same pids, so they
// must live in the same pid namespace.
package shmsync
