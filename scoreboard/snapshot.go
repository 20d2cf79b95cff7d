package scoreboard

import (
	"fmt"
	"time"
)

// PM is a pool's process manager mode, numbered as PHP-FPM numbers it.
type PM uint8

// The process manager modes, with PHP-FPM's values.
const (
	Static   PM = 1
	Dynamic  PM = 2
	Ondemand PM = 3
)

// String returns the mode as PHP-FPM's status page prints it.
func (m PM) String() string {
	switch m {
	case Static:
		return "static"
	case Dynamic:
		return "dynamic"
	case Ondemand:
		return "ondemand"
	}
	return fmt.Sprintf("invalid(%d)", uint8(m))
}

// Stage is where a worker is in serving a request, numbered as PHP-FPM numbers it.
type Stage uint8

// The request stages, with PHP-FPM's values.
const (
	Idle        Stage = 1 // accepting a connection
	ReadingHead Stage = 2 // reading the request headers
	GettingInfo Stage = 3 // getting request information
	Running     Stage = 4 // executing the handler
	Ending      Stage = 5
	Finishing   Stage = 6
)

// String returns the stage as PHP-FPM's status page prints it ("Idle",
// "Reading headers", ...).
func (s Stage) String() string {
	switch s {
	case Idle:
		return "Idle"
	case ReadingHead:
		return "Reading headers"
	case GettingInfo:
		return "Getting request information"
	case Running:
		return "Running"
	case Ending:
		return "Ending"
	case Finishing:
		return "Finishing"
	}
	return fmt.Sprintf("Invalid(%d)", uint8(s))
}

// Valid reports whether s is one of PHP-FPM's six stages.
func (s Stage) Valid() bool { return s >= Idle && s <= Finishing }

// Pool is the pool record of a Snapshot: PHP-FPM's pool fields, as plain values.
type Pool struct {
	Name               string
	PM                 PM
	StartTime          time.Time // when the pool started
	AcceptedConn       uint64    // requests accepted by all workers
	ListenQueue        uint64    // connections waiting in the listen queue now
	MaxListenQueue     uint64    // the most ever seen waiting
	ListenQueueLen     uint64    // the listen queue's size (backlog)
	Idle               int       // workers in the Idle stage
	Active             int       // workers serving a request
	MaxActive          int       // the most ever active at once (see below)
	MaxChildren        int       // pm.max_children: the number of process slots
	MaxChildrenReached uint64    // times the pool hit pm.max_children
	SlowRequests       uint64    // requests that passed request_slowlog_timeout
	MemoryPeak         uint64    // the largest last-request memory seen, in bytes (see Proc.LastMemory)
}

// Idle and Active are counted from the slots' stages at the snapshot, so
// they always agree with the process list. MaxActive keeps PHP-FPM's
// counter semantics, since a peak between two snapshots must be caught:
// workers count themselves in and out of a shared active count as they
// start and end requests, and the master takes a reaped worker's part
// back. A worker killed in the nanoseconds between its stage update and
// its count update leaves the count one off; MaxActive is therefore
// reported within [Active, MaxChildren], never beyond.

// Total returns the number of worker processes: idle plus active.
func (p Pool) Total() int { return p.Idle + p.Active }

// Proc is one used process slot of a Snapshot.
type Proc struct {
	Slot          int // index of the slot in the scoreboard
	PID           int
	Stage         Stage
	StartTime     time.Time     // when the worker started
	Requests      uint64        // requests this worker has served
	Accepted      time.Time     // when the current (or last) request was accepted
	Duration      time.Duration // for Idle, the last request's; otherwise time since Accepted
	LastActivity  time.Time
	Method        string // empty when unknown; the status page prints "-"
	URI           string // SCRIPT_NAME, without the query string
	Query         string
	ContentLength int64
	User          string
	Script        string  // SCRIPT_FILENAME
	LastCPU       float64 // CPU time of the last request over its duration, in percent; 0 unless Idle
	LastMemory    uint64  // memory of the last request in bytes (see below); 0 unless Idle

	// Invalid is non-empty when the slot held values that cannot be true
	// (an unknown stage, a string without its terminator, a torn record);
	// it says what was wrong. The other fields are then zero or best effort.
	Invalid string
}

// LastCPU is PHP-FPM's "last request cpu": the CPU time the worker process
// used (all its threads, so up to 100 per core) from the start of the
// request to its end, over the request's duration. LastMemory is what the
// worker recorded at the request's end (Slot.End): PHP-FPM records the
// script's peak memory (memory_get_peak_usage); a Go worker has no
// per-request heap, and pm's workers record the bytes the request
// allocated on the Go heap, live or already collected.

// RequestURI returns the URI as the status page prints it: the URI, plus
// "?query" when there is a query string.
func (p Proc) RequestURI() string {
	if p.Query == "" {
		return p.URI
	}
	return p.URI + "?" + p.Query
}

// Snapshot is a consistent copy of a scoreboard, taken at one moment, as
// plain Go values that renderers and tools can use freely.
type Snapshot struct {
	Taken time.Time // when the snapshot was taken; durations are relative to it
	Pool  Pool
	Procs []Proc // the used slots, in slot order; nil unless a full snapshot
}
