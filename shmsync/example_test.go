package shmsync_test

import (
	"errors"
	"fmt"

	"github.com/fpmshm/fpmshm/shm"
	"github.com/fpmshm/fpmshm/shmsync"
)

// A pool record guarded by a Mutex, in a segment that worker processes
// would be handed. The caller that is told ErrOwnerDead repairs the record
// before unlocking.
func ExampleMutex() {
	seg, err := shm.Alloc(4096)
	if err != nil {
		panic(err)
	}
	defer seg.Free()
	type pool struct {
		lock         shmsync.Mutex
		idle, active int64
	}
	p, err := shm.View[pool](seg, 0)
	if err != nil {
		panic(err)
	}

	err = p.lock.Lock()
	if errors.Is(err, shmsync.ErrOwnerDead) {
		// A process died half-way through an update: recompute or reset.
		p.idle, p.active = 0, 0
	}
	p.idle++
	if err := p.lock.Unlock(); err != nil {
		panic(err)
	}

	// What a master does after reaping worker 4242: frees the locks it
	// held, so the next locker is told at once.
	released := shmsync.ReleaseOwner(4242, &p.lock)
	fmt.Println(p.idle, p.active, released)
	// Output: 1 0 0
}

// A record that one process writes and any process reads without taking a
// lock; readers never see a half-written record.
func ExampleRecord() {
	seg, err := shm.Alloc(4096)
	if err != nil {
		panic(err)
	}
	defer seg.Free()
	type slot struct {
		Pid      int32
		Stage    uint8
		_        [3]byte
		Requests uint64
		URI      [128]byte
	}
	r, err := shm.View[shmsync.Record[slot]](seg, 0)
	if err != nil {
		panic(err)
	}

	// The worker that owns the slot: no lock, two release stores.
	r.WriteSingle(func(s *slot) {
		s.Pid, s.Stage = 4242, 2
		s.Requests++
		copy(s.URI[:], "/index.php")
	})

	// Any reader (the status page): a consistent copy.
	s, err := r.Load()
	if err != nil {
		panic(err) // ErrWriterDead: the worker died mid-write
	}
	fmt.Println(s.Pid, s.Stage, s.Requests, string(s.URI[:10]))
	// Output: 4242 2 1 /index.php
}
