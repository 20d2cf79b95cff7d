package shmsync

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/sys"
	"github.com/fpmshm/fpmshm/internal/testproc"
)

func init() {
	testproc.Register("shmsync-spin", spinHelper)
}

// handoff is the shared memory of TestShortWaitSpins.
type handoff struct {
	lock    Mutex
	_       [56]byte
	round   atomic.Uint32 // set by the holder: the waiter may try
	waiting atomic.Uint32 // set by the waiter just before it locks
	done    atomic.Uint32 // set by the waiter once it held the lock
}

// handoffRounds is how many times TestShortWaitSpins hands the lock over.
const handoffRounds = 1000

// TestShortWaitSpins: a process that finds the lock held by another
// process for a short critical section (here 2 µs) spins until it is
// free rather than sleeping on the futex. Each round, this process holds
// the lock while the other one, a real process, starts to lock it, then
// lets go 2 µs later; the other process counts its futex sleeps exactly.
// It may sleep now and then (if this process is descheduled while it
// holds the lock, as happens often on a busy machine), but not in half the
// rounds; a locker that slept after a hundred looks slept in nearly every
// round.
func TestShortWaitSpins(t *testing.T) {
	if !sys.HaveFutex {
		t.Skip("no futex on this platform")
	}
	seg := sharedSegment(t, 4096)
	h := view[handoff](t, seg, 0)
	cmd := testproc.Command(t, "shmsync-spin", strconv.Itoa(handoffRounds))
	shareWith(t, seg, cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for r := uint32(1); r <= handoffRounds; r++ {
		if err := h.lock.Lock(); err != nil {
			t.Fatal(err)
		}
		h.round.Store(r)
		for h.waiting.Load() != r {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: the other process did not start to lock", r)
			}
		}
		for held := time.Now(); time.Since(held) < 2*time.Microsecond; {
		}
		h.lock.Unlock()
		for h.done.Load() != r {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: the other process did not take the lock", r)
			}
		}
	}
	said, _ := io.ReadAll(out)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v (said %q)", err, said)
	}
	sleeps, err := strconv.Atoi(strings.TrimSpace(string(said)))
	if err != nil {
		t.Fatalf("helper said %q", said)
	}
	t.Logf("%d futex sleeps in %d waits of 2 µs", sleeps, handoffRounds)
	if sleeps >= handoffRounds/2 {
		t.Fatalf("%d futex sleeps in %d waits of 2 µs for a lock", sleeps, handoffRounds)
	}
}

// spinHelper is the waiting process of TestShortWaitSpins: it prints how
// many times it slept on the futex.
func spinHelper(args []string) int {
	h, err := childView[handoff](4096, 0)
	if err != nil {
		return fail(err)
	}
	rounds := uint32(intArgs(args)[0])
	deadline := time.Now().Add(time.Minute)
	for r := uint32(1); r <= rounds; r++ {
		for h.round.Load() != r {
			if time.Now().After(deadline) {
				return fail(fmt.Errorf("round %d did not come", r))
			}
		}
		h.waiting.Store(r)
		if err := h.lock.Lock(); err != nil {
			return fail(err)
		}
		h.lock.Unlock()
		h.done.Store(r)
	}
	fmt.Println(futexWaits.Load())
	return 0
}
