package scoreboard

import (
	"context"
	"fmt"
	"time"
)

// readPatience bounds how long a snapshot waits, over all its slots, for
// records being written, so that a hostile worker cannot make it slow. A
// writer holds a record for nanoseconds, unless the scheduler preempts it
// mid-update; only a writer that died mid-update (until the master reaps
// it) or a hostile one makes a reader give up on a record.
const readPatience = 100 * time.Millisecond

// Snapshot returns a consistent copy of the scoreboard: the pool record
// and, when full, every used slot. It never blocks a writer and writes
// nothing to the segment. Values that cannot be true are reported in
// Proc.Invalid, not trusted; idle and active are counted from the slots,
// so Idle+Active never exceeds MaxChildren.
func (b *Board) Snapshot(full bool) (Snapshot, error) {
	if b.pool == nil {
		return Snapshot{}, fmt.Errorf("scoreboard: snapshot of a closed board")
	}
	now := time.Now()
	snap := Snapshot{Taken: now, Pool: b.poolValues()}
	if full {
		snap.Procs = make([]Proc, 0, len(b.procs))
	}
	rec := new(procRecord) // one copy buffer for every slot
	ctx, cancel := context.WithTimeout(context.Background(), readPatience)
	defer cancel()
	for i := range b.procs {
		p, used := b.readProc(ctx, i, rec, now)
		if !used {
			continue
		}
		if p.Stage == Idle && p.Invalid == "" {
			snap.Pool.Idle++
		} else {
			snap.Pool.Active++ // a process in an unknown state is not idle
		}
		if full {
			snap.Procs = append(snap.Procs, p)
		}
	}
	snap.Pool.MaxActive = min(max(snap.Pool.MaxActive, snap.Pool.Active), snap.Pool.MaxChildren)
	return snap, nil
}

// poolValues reads the pool record: identity and master-written counters
// from this process's own copy where it has one.
func (b *Board) poolValues() Pool {
	r := b.pool
	p := Pool{
		Name:               b.name,
		PM:                 b.pm,
		StartTime:          b.startTime,
		MaxChildren:        len(b.procs),
		AcceptedConn:       r.acceptedConn.Load(),
		ListenQueue:        r.listenQueue.Load(),
		MaxListenQueue:     r.maxListenQueue.Load(),
		ListenQueueLen:     r.listenQueueLen.Load(),
		MaxChildrenReached: r.maxChildrenReached.Load(),
		SlowRequests:       r.slowRequests.Load(),
		MemoryPeak:         r.memoryPeak.Load(),
		MaxActive:          int(min(r.maxActive.Load(), uint64(len(b.procs)))),
	}
	if m := b.master; m != nil {
		c := m.counters
		p.ListenQueue, p.MaxListenQueue, p.ListenQueueLen = c.listenQueue, c.maxListenQueue, c.listenQueueLen
		p.MaxChildrenReached, p.SlowRequests = c.maxChildrenReached, c.slowRequests
	}
	return p
}

// readProc copies slot i into rec under its sequence, waiting for a
// write in progress until ctx is done, and decodes it; used says whether
// the slot belongs to a process.
func (b *Board) readProc(ctx context.Context, i int, rec *procRecord, now time.Time) (Proc, bool) {
	src := &b.procs[i]
	err := src.seq.Read(ctx, func() { copy(recordBytes(rec), recordBytes(src)) })
	ok := err == nil
	// The master publishes a slot with its worker's pid (Started): a slot
	// that names no pid belongs to no process.
	used := rec.used == 1 && rec.pid > 0 && rec.pid <= maxPID
	masterPID := 0
	if b.master != nil {
		masterPID = b.master.pids[i]
		used = masterPID != 0 // the master's own record decides
	}
	if !used {
		return Proc{}, false
	}
	p := Proc{Slot: i, PID: max(masterPID, 0)}
	if p.PID == 0 {
		p.PID = int(rec.pid)
	}
	if !ok {
		p.Invalid = "record was being written by a process that did not finish: " + err.Error()
		return p, true
	}
	decode(&p, rec, now)
	if masterPID > 0 && rec.pid != 0 && rec.pid != int64(masterPID) {
		p.Invalid = fmt.Sprintf("slot claims pid %d, the master started %d", rec.pid, masterPID)
	}
	return p, true
}

// maxPID bounds a plausible pid (Linux's pid_max limit).
const maxPID = 1 << 22

// decode fills p from a stable copy of a slot, validating every value;
// the first impossible one is reported in p.Invalid.
func decode(p *Proc, r *procRecord, now time.Time) {
	p.Invalid = problem(r, now)
	p.Stage = Stage(r.stage)
	var ok [5]bool
	p.Method, ok[0] = getString(r.method[:])
	p.URI, ok[1] = getString(r.uri[:])
	p.Query, ok[2] = getString(r.query[:])
	p.User, ok[3] = getString(r.user[:])
	p.Script, ok[4] = getString(r.script[:])
	if p.Invalid == "" && ok != [5]bool{true, true, true, true, true} {
		p.Invalid = "a string field is not terminated"
	}
	p.StartTime = unixTime(r.startTime)
	p.Accepted = unixTime(r.accepted)
	p.LastActivity = unixTime(r.lastActivity)
	if p.Invalid != "" {
		return
	}
	p.Requests = r.requests
	p.ContentLength = r.contentLength
	if p.Stage == Idle {
		p.Duration = time.Duration(r.duration)
		p.LastMemory = r.memory
		if r.duration > 0 {
			p.LastCPU = float64(r.cpu) / float64(r.duration) * 100
		}
	} else if !p.Accepted.IsZero() {
		p.Duration = max(now.Sub(p.Accepted), 0)
	}
}

// problem returns what is impossible in a slot's numbers, or ""; decode
// checks the strings as it reads them.
func problem(r *procRecord, now time.Time) string {
	latest := now.Add(time.Minute).UnixNano() // other processes' clocks may be a little ahead
	switch {
	case r.used > 1:
		return fmt.Sprintf("used flag %d", r.used)
	case !Stage(r.stage).Valid():
		return fmt.Sprintf("unknown stage %d", r.stage)
	case r.pid < 0 || r.pid > maxPID:
		return fmt.Sprintf("impossible pid %d", r.pid)
	case r.startTime < 0 || r.startTime > latest, r.accepted < 0 || r.accepted > latest, r.lastActivity < 0 || r.lastActivity > latest:
		return "a time is not plausible"
	case r.duration < 0 || r.cpu < 0 || r.contentLength < 0:
		return "negative duration, CPU time or content length"
	}
	return ""
}

// unixTime converts unix nanoseconds, 0 being the zero Time.
func unixTime(ns int64) time.Time {
	if ns <= 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}
