package scoreboard

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unsafe"

	"github.com/fpmshm/fpmshm/shm"
)

// Errors returned by this package; each is wrapped with what was attempted.
var (
	// ErrFull is returned by AllocSlot when every slot is in use.
	ErrFull = errors.New("scoreboard: every process slot is in use (pm.max_children reached)")
	// ErrLayout is returned by Open for a segment that is not a scoreboard
	// of this layout.
	ErrLayout = errors.New("scoreboard: segment does not hold a scoreboard of this layout")
	// ErrSlot is returned for a slot index out of range.
	ErrSlot = errors.New("scoreboard: no such process slot")
)

// MaxSlots bounds pm.max_children.
const MaxSlots = 1 << 16

// Config describes a pool's scoreboard.
type Config struct {
	Pool           string // pool name; PHP-FPM keeps 31 bytes of it
	PM             PM     // Static, Dynamic or Ondemand
	MaxChildren    int    // pm.max_children: the number of process slots
	ListenQueueLen uint64 // the listen queue's size (backlog)
	NoDump         bool   // keep the segment out of core dumps
}

// Board is a scoreboard mapped in this process: the master's, made by New,
// or a worker's or tool's, taken up by Open.
type Board struct {
	seg   *shm.Segment
	pool  *poolRecord
	procs []procRecord

	// What this process knows without reading the segment: for the
	// master, all it wrote; for others, what Open validated once.
	name      string
	pm        PM
	startTime time.Time
	master    *slotTable // nil unless made by New
}

// New allocates the scoreboard of a pool, in a shareable segment to hand to
// the workers with b.Segment().ShareWith. It is the master's.
func New(cfg Config) (*Board, error) {
	if cfg.MaxChildren < 1 || cfg.MaxChildren > MaxSlots {
		return nil, fmt.Errorf("scoreboard: pm.max_children %d is not between 1 and %d", cfg.MaxChildren, MaxSlots)
	}
	if cfg.PM != Static && cfg.PM != Dynamic && cfg.PM != Ondemand {
		return nil, fmt.Errorf("scoreboard: unknown process manager %d", cfg.PM)
	}
	seg, err := shm.AllocWith(segmentSize(cfg.MaxChildren), shm.AllocOptions{
		Name: SegmentName(cfg.Pool), Tag: Tag, NoDump: cfg.NoDump,
	})
	if err != nil {
		return nil, fmt.Errorf("scoreboard: allocate pool %q with %d slots: %w", cfg.Pool, cfg.MaxChildren, err)
	}
	b := mapBoard(seg, cfg.MaxChildren)
	putString(b.pool.name[:], cfg.Pool)
	b.name, _ = getString(b.pool.name[:])
	b.pm = cfg.PM
	b.startTime = time.Now()
	b.pool.pm = uint32(cfg.PM)
	b.pool.maxChildren = uint32(cfg.MaxChildren)
	b.pool.startTime = b.startTime.UnixNano()
	b.pool.listenQueueLen.Store(cfg.ListenQueueLen)
	b.master = newSlotTable(cfg.MaxChildren)
	return b, nil
}

// SegmentName returns the name of a pool's scoreboard segment:
// "scoreboard." and the pool name, with characters a segment name cannot
// hold replaced by '_'.
func SegmentName(pool string) string {
	clean := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, pool)
	if len(clean) > 64 {
		clean = clean[:64]
	}
	return "scoreboard." + clean
}

// Open takes up a scoreboard segment made by New in another process, for a
// worker or a read-only tool. The number of slots comes from the segment's
// real size, never from values stored in it; the pool's name and mode are
// validated once, here.
func Open(seg *shm.Segment) (*Board, error) {
	if seg.Tag() != Tag {
		return nil, fmt.Errorf("%w: tag %#x, want %#x", ErrLayout, seg.Tag(), Tag)
	}
	n := slotsFor(seg.Len())
	if n < 1 || segmentSize(n) != seg.Len() {
		return nil, fmt.Errorf("%w: %d bytes is not a pool record and whole slots", ErrLayout, seg.Len())
	}
	b := mapBoard(seg, n)
	name, ok := getString(b.pool.name[:])
	if !ok {
		return nil, fmt.Errorf("%w: pool name is not terminated", ErrLayout)
	}
	pm := PM(b.pool.pm)
	if pm != Static && pm != Dynamic && pm != Ondemand {
		return nil, fmt.Errorf("%w: process manager %d", ErrLayout, b.pool.pm)
	}
	b.name, b.pm = name, pm
	b.startTime = time.Unix(0, b.pool.startTime)
	return b, nil
}

// mapBoard lays the records over the segment's bytes.
func mapBoard(seg *shm.Segment, n int) *Board {
	mem := seg.Bytes()
	return &Board{
		seg:   seg,
		pool:  (*poolRecord)(unsafe.Pointer(&mem[0])),
		procs: unsafe.Slice((*procRecord)(unsafe.Pointer(&mem[poolSize])), n),
	}
}

// Segment returns the segment the scoreboard lives in.
func (b *Board) Segment() *shm.Segment { return b.seg }

// MaxChildren returns the number of process slots.
func (b *Board) MaxChildren() int { return len(b.procs) }

// Close unmaps the scoreboard. The Board must not be used afterwards.
func (b *Board) Close() error {
	b.procs, b.pool = nil, nil
	return b.seg.Free()
}
