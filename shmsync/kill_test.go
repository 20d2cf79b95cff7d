package shmsync

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

func init() {
	testproc.Register("shmsync-kill-child", killChild)
	testproc.Register("shmsync-hold", holdHelper)
}

// killShared is the state of the kill matrix: a lock, the two counters it
// protects (equal whenever no takeover is pending), and a stop flag.
type killShared struct {
	lock Mutex
	a, b atomic.Uint64
	ops  atomic.Uint64 // critical sections completed
	stop atomic.Uint32
	_    [4]byte
}

const killSegSize = 4096

// killChild loops: lock, check a == b (or, after a takeover, report it and
// repair), a++, work, b++, unlock, work. It reports on stdout, one write
// per line: "R" once it is running, "T <dead pid> <unix ns>" for each
// takeover, "BAD ..." when the invariant is broken without a takeover.
func killChild([]string) int {
	k, err := childView[killShared](killSegSize, 0)
	if err != nil {
		return fail(err)
	}
	os.Stdout.WriteString("R\n")
	for k.stop.Load() == 0 {
		err := k.lock.Lock()
		var od *OwnerDeadError
		switch {
		case errors.As(err, &od):
			fmt.Fprintf(os.Stdout, "T %d %d\n", od.PID, time.Now().UnixNano())
			k.b.Store(k.a.Load()) // repair
		case err != nil:
			fmt.Fprintf(os.Stdout, "BAD lock: %v\n", err)
			return 1
		case k.a.Load() != k.b.Load():
			fmt.Fprintf(os.Stdout, "BAD a=%d b=%d without a takeover\n", k.a.Load(), k.b.Load())
			return 1
		}
		k.a.Add(1)
		spin(rand.IntN(2000))
		k.b.Add(1)
		k.ops.Add(1)
		if err := k.lock.Unlock(); err != nil {
			fmt.Fprintf(os.Stdout, "BAD unlock: %v\n", err)
			return 1
		}
		spin(rand.IntN(2000))
	}
	return 0
}

var spinSink atomic.Uint64

// spin burns about n nanoseconds of CPU.
func spin(n int) {
	x := uint64(n)
	for range n / 2 {
		x = x*6364136223846793005 + 1
	}
	spinSink.Store(x)
}

// killEvent is a line a child reported, with the child's pid.
type killEvent struct {
	pid  int
	line string
}

// killProc is one running child of the kill matrix.
type killProc struct {
	cmd *exec.Cmd
	pid int
}

// TestKillMatrix: 4 processes take and release a lock in a loop, updating
// two counters that must stay equal; the test SIGKILLs a random one 500
// times at random moments and restarts it. Every death while holding the
// lock must be followed, within 100 ms of the kill, by a takeover reported
// as ErrOwnerDead by another process; no process may ever find the counters
// unequal without such a report. Every fourth kill, the test also plays the
// master and calls ReleaseOwner right after reaping.
func TestKillMatrix(t *testing.T) {
	kills := 500
	if testing.Short() || raceEnabled {
		kills = 100 // a race-enabled helper takes ~100 ms to start
	}
	seg := sharedSegment(t, killSegSize)
	k := view[killShared](t, seg, 0)
	events := make(chan killEvent, 1024)
	start := func() killProc {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd := testproc.Command(t, "shmsync-kill-child")
		shareWith(t, seg, cmd)
		cmd.Stdout = w
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		w.Close()
		pid := cmd.Process.Pid
		go func() {
			defer r.Close()
			sc := bufio.NewScanner(r)
			for sc.Scan() {
				events <- killEvent{pid, sc.Text()}
			}
		}()
		return killProc{cmd, pid}
	}
	procs := make([]killProc, 4)
	for i := range procs {
		procs[i] = start()
	}
	defer func() { // on failure: stop and reap whatever runs
		for _, p := range procs {
			if p.cmd != nil && p.cmd.ProcessState == nil {
				p.cmd.Process.Kill()
				p.cmd.Wait()
			}
		}
	}()

	killedAt := map[int]time.Time{} // pid -> when it was killed
	takenOver := map[int]bool{}     // pid -> a takeover from it was reported
	var latencies []time.Duration
	heldAtDeath, released := 0, 0
	ready := map[int]bool{}
	handle := func(e killEvent) {
		if e.line == "R" {
			ready[e.pid] = true
			return
		}
		f := strings.Fields(e.line)
		if len(f) != 3 || f[0] != "T" {
			t.Fatalf("child %d: %s", e.pid, e.line)
		}
		dead, _ := strconv.Atoi(f[1])
		ns, _ := strconv.ParseInt(f[2], 10, 64)
		at, ok := killedAt[dead]
		if !ok {
			t.Fatalf("child %d took the lock over from pid %d, which was never killed", e.pid, dead)
		}
		if takenOver[dead] {
			t.Fatalf("two takeovers from pid %d", dead)
		}
		takenOver[dead] = true
		latencies = append(latencies, time.Unix(0, ns).Sub(at))
	}
	// drain handles the events so far, first waiting until a takeover
	// from pid want (if not 0) is reported, then until child pid ready
	// (if not 0) is running.
	drain := func(want, readyPid int) {
		until := time.Now().Add(time.Second)
		for want != 0 && !takenOver[want] {
			select {
			case e := <-events:
				handle(e)
			case <-time.After(time.Until(until)):
				t.Fatalf("pid %d died holding the lock and no takeover was reported within a second: the lock is wedged", want)
			}
		}
		until = time.Now().Add(30 * time.Second)
		for readyPid != 0 && !ready[readyPid] {
			select {
			case e := <-events:
				handle(e)
			case <-time.After(time.Until(until)):
				t.Fatalf("child %d did not start", readyPid)
			}
		}
		for {
			select {
			case e := <-events:
				handle(e)
			default:
				return
			}
		}
	}

	for _, p := range procs {
		drain(0, p.pid)
	}
	for i := range kills {
		time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
		j := rand.IntN(len(procs))
		victim := procs[j]
		killedAt[victim.pid] = time.Now()
		victim.cmd.Process.Kill()
		victim.cmd.Wait()
		v := k.lock.word.Load()
		held := pidOf(v) == victim.pid || (uint32(v) == 0 && int(v>>32) == victim.pid)
		if i%4 == 0 && ReleaseOwner(victim.pid, &k.lock) == 1 {
			released++
		}
		want := 0
		if held {
			heldAtDeath++
			want = victim.pid
		}
		drain(want, 0)
		// Restarted once the takeover is reported, and running before the
		// next kill: the start-up of a test binary (heavy under -race)
		// would otherwise compete for the CPU with the recovery being
		// timed, and a kill would hit a process not yet taking the lock.
		procs[j] = start()
		drain(0, procs[j].pid)
	}

	opsBefore := k.ops.Load()
	time.Sleep(50 * time.Millisecond)
	if k.ops.Load() == opsBefore {
		for _, p := range procs {
			st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
			wc, _ := os.ReadFile(fmt.Sprintf("/proc/%d/wchan", p.pid))
			t.Logf("child %d: %s wchan %s", p.pid, st, wc)
		}
		time.Sleep(time.Second)
		t.Fatalf("no progress after the last kill: the lock is wedged (word %#x, ops %d -> %d)", k.lock.word.Load(), opsBefore, k.ops.Load())
	}
	k.stop.Store(1)
	for _, p := range procs {
		if err := p.cmd.Wait(); err != nil {
			t.Fatalf("child %d: %v", p.pid, err)
		}
	}
	drain(0, 0)
	time.Sleep(10 * time.Millisecond)
	drain(0, 0)
	if v := k.lock.word.Load(); uint32(v) != 0 {
		t.Fatalf("lock still held (%#x) after every child stopped", v)
	}
	if err := k.lock.Lock(); err != nil && !errors.Is(err, ErrOwnerDead) {
		t.Fatal(err)
	}
	if a, b := k.a.Load(), k.b.Load(); a != b {
		// Only possible when the last holder died and nobody took over.
		t.Fatalf("a = %d, b = %d at the end", a, b)
	}
	k.lock.Unlock()

	slices.Sort(latencies)
	var maxLat, median time.Duration
	if n := len(latencies); n > 0 {
		maxLat, median = latencies[n-1], latencies[n/2]
	}
	t.Logf("%d kills, %d while holding the lock (%d released by ReleaseOwner), %d takeovers reported as ErrOwnerDead; recovery latency median %v, max %v; %d critical sections",
		kills, heldAtDeath, released, len(latencies), median, maxLat, k.ops.Load())
	if heldAtDeath == 0 {
		t.Fatal("no kill hit a holder: the matrix proved nothing")
	}
	if len(latencies) < heldAtDeath {
		t.Fatalf("%d deaths while holding, only %d takeovers", heldAtDeath, len(latencies))
	}
	if maxLat >= 100*time.Millisecond {
		t.Fatalf("slowest recovery %v, want < 100ms", maxLat)
	}
}

// holdHelper takes the lock of a killShared, reports "locked" on stdout
// and sleeps until killed.
func holdHelper([]string) int {
	k, err := childView[killShared](killSegSize, 0)
	if err != nil {
		return fail(err)
	}
	if err := k.lock.Lock(); err != nil {
		return fail(err)
	}
	k.a.Add(1) // half-way through an update
	os.Stdout.WriteString("locked\n")
	time.Sleep(time.Hour)
	return 0
}

// TestLockHolderKilled: a process holding the lock is killed and not yet
// reaped (a zombie); this process's Lock takes over with ErrOwnerDead
// within 100 ms.
func TestLockHolderKilled(t *testing.T) {
	seg := sharedSegment(t, killSegSize)
	k := view[killShared](t, seg, 0)
	cmd := testproc.Command(t, "shmsync-hold")
	shareWith(t, seg, cmd)
	testproc.StartReady(t, cmd, "locked")
	if ok, err := k.lock.TryLock(); ok || err != nil {
		t.Fatalf("TryLock while a live process holds the lock = %v, %v", ok, err)
	}
	killed := time.Now()
	cmd.Process.Kill()
	defer cmd.Wait() // reaped only at the end: it stays a zombie meanwhile
	err := k.lock.Lock()
	took := time.Since(killed)
	var od *OwnerDeadError
	if !errors.As(err, &od) || od.PID != cmd.Process.Pid {
		t.Fatalf("Lock = %v, want ErrOwnerDead for pid %d", err, cmd.Process.Pid)
	}
	t.Logf("took over from the killed holder after %v", took)
	if took >= 100*time.Millisecond {
		t.Fatalf("takeover took %v", took)
	}
	if k.a.Load() != k.b.Load()+1 {
		t.Fatal("the helper's half-update is not there")
	}
	k.b.Store(k.a.Load())
	if err := k.lock.Unlock(); err != nil {
		t.Fatal(err)
	}
}
