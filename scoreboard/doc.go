// Package scoreboard is PHP-FPM's scoreboard on an fpmshm segment: one pool
// record and pm.max_children process slots, written by the master and its
// workers and read, without blocking them, by the status page and tools.
//
// Unlike PHP-FPM's, it has no lock a crashed process can leave held: the
// pool's counters are atomics, each process slot is a seqlocked record with
// a single writer (its worker, or the master while no worker owns it), and
// the idle and active counts are derived from the slots' stages, so they
// can never disagree with the process list or exceed pm.max_children.
//
// Every byte of the segment is treated as written by a hostile process:
// the master keeps its own copy of the pool's name, mode and size and of
// which slot belongs to which pid, and a Snapshot validates what it reads.
//
// Files: board.go holds Board (New creates one, Open maps one); master.go
// the master's side (slots given and freed, pool counters); worker.go a
// worker's Slot and its request stages; read.go Board.Snapshot, and
// snapshot.go what a Snapshot holds (Pool, Proc, Stage, PM); layout.go the
// records in the segment; counters.go and clock.go their helpers.
package scoreboard
