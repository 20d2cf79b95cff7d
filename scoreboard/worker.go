package scoreboard

import (
	"context"
	"fmt"
	"os"
	"time"
)

// Slot is a worker's handle on its own process slot. The worker is the
// slot's only writer while it lives; each method is one stage update of
// PHP-FPM's request cycle. Not safe for concurrent use: a worker serves one
// request at a time.
type Slot struct {
	pool   *poolRecord
	r      *procRecord
	active bool // this worker counted itself in the pool's active count
}

// RequestInfo is what the request-information stage records.
type RequestInfo struct {
	Method        string
	URI           string // SCRIPT_NAME
	Query         string
	User          string
	Script        string // SCRIPT_FILENAME
	ContentLength int64
}

// slotPatience bounds how long Slot waits for the master to publish the
// slot with this process's pid.
const slotPatience = 10 * time.Second

// Slot takes up slot i for this worker. The master publishes the slot with
// the worker's pid when it has spawned it (Started); until then the slot
// is the master's to write, so Slot waits for this process's pid to appear
// in it, giving up after slotPatience.
func (b *Board) Slot(i int) (*Slot, error) {
	if i < 0 || i >= len(b.procs) {
		return nil, fmt.Errorf("%w: %d (the scoreboard has %d)", ErrSlot, i, len(b.procs))
	}
	s := &Slot{pool: b.pool, r: &b.procs[i]}
	pid := int64(os.Getpid())
	ctx, cancel := context.WithTimeout(context.Background(), slotPatience)
	defer cancel()
	for wait := 50 * time.Microsecond; ; wait = min(2*wait, 5*time.Millisecond) {
		var used uint32
		var owner int64
		err := s.r.seq.Read(ctx, func() { used, owner = s.r.used, s.r.pid })
		if err == nil && used == 1 && owner == pid {
			return s, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: slot %d was not published for pid %d within %v (it holds pid %d, used %d)", ErrSlot, i, pid, slotPatience, owner, used)
		case <-time.After(wait):
		}
	}
}

// Accepting enters the Idle stage: waiting for the next connection.
func (s *Slot) Accepting() {
	now := nowNano()
	s.r.seq.BeginWriteSingle()
	s.r.stage = uint32(Idle)
	s.r.lastActivity = now
	s.r.seq.EndWriteSingle()
	if s.active {
		s.active = false
		addClamped(&s.pool.active, -1)
	}
}

// ReadingHeaders starts a request: it is accepted now, counted in the
// slot's and the pool's requests, and the last request's strings cleared.
func (s *Slot) ReadingHeaders() {
	now := nowNano()
	r := s.r
	r.seq.BeginWriteSingle()
	r.stage = uint32(ReadingHead)
	r.accepted, r.lastActivity = now, now
	r.requests++
	r.duration, r.cpu, r.memory, r.contentLength = 0, 0, 0, 0
	r.method[0], r.uri[0], r.query[0], r.script[0], r.user[0] = 0, 0, 0, 0, 0
	r.seq.EndWriteSingle()
	s.pool.acceptedConn.Add(1)
	if !s.active {
		s.active = true
		storeMax(&s.pool.maxActive, uint64(addClamped(&s.pool.active, 1)))
	}
}

// RequestInfo records the request's method, URI, query, user, script and
// content length, each truncated to its field as PHP-FPM truncates them.
func (s *Slot) RequestInfo(info RequestInfo) {
	r := s.r
	r.seq.BeginWriteSingle()
	r.stage = uint32(GettingInfo)
	putString(r.method[:], info.Method)
	putString(r.uri[:], info.URI)
	putString(r.query[:], info.Query)
	putString(r.user[:], info.User)
	putString(r.script[:], info.Script)
	r.contentLength = info.ContentLength
	r.seq.EndWriteSingle()
}

// Executing enters the Running stage.
func (s *Slot) Executing() { s.stage(Running) }

// End enters the Ending stage, recording the request's duration, the CPU
// time the process used for it and its memory (see Proc.LastMemory; it
// also raises the pool's peak).
func (s *Slot) End(cpu time.Duration, memory uint64) {
	now := nowNano()
	r := s.r
	r.seq.BeginWriteSingle()
	r.stage = uint32(Ending)
	r.lastActivity = now
	r.duration = now - r.accepted
	r.cpu = int64(cpu)
	r.memory = memory
	r.seq.EndWriteSingle()
	storeMax(&s.pool.memoryPeak, memory)
}

// Finished enters the Finishing stage.
func (s *Slot) Finished() { s.stage(Finishing) }

// stage enters a stage that records no time: the status page and the
// process manager need only when a request was accepted, when it ended
// and when the worker became idle.
func (s *Slot) stage(st Stage) {
	s.r.seq.BeginWriteSingle()
	s.r.stage = uint32(st)
	s.r.seq.EndWriteSingle()
}
