package shmcache

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/fpmshm/fpmshm/internal/testproc"
	"github.com/fpmshm/fpmshm/shm"
)

func init() {
	testproc.Register("shmcache-kill", killWorker)
}

// The kill matrix: worker processes write to two caches and keep a
// journal, in another shared segment, of what each of their keys must
// hold: its committed version and, while an operation on it is under
// way, the version that operation writes. Workers are SIGKILLed, by
// themselves at the crash points (inside sets, deletes, counter updates,
// evictions, list updates and repairs) and by the test at random moments,
// and restarted; a restarted worker first settles each of its keys: the
// cache must hold the committed version or, if an operation was under
// way, its new one, never anything torn or older.
//
// Cache A (Refuse, ample room) must keep every committed entry. Cache B
// (Evict, under pressure) may also have evicted an entry, but never
// brought an older one back.
const (
	killWorkers = 4
	killKeys    = 128 // per worker, in each cache
	killCtrs    = 8   // counters per worker, in cache A
)

// killOdds[p] is the chance, 1 in killOdds[p], that a worker kills itself
// at crash point p: rare where every write passes, often in a repair.
var killOdds = [crashPoints]int{
	cpLocked: 4000, cpFilled: 2000, cpArmed: 2000, cpPublished: 2000, cpFreeing: 2000,
	cpLinking: 400, cpEvicting: 300, cpMoving: 20, cpCounterArmed: 1000, cpCounterTorn: 1000, cpCounterWritten: 1000,
	cpRepairRolled: 6, cpRepairInstalled: 6,
}

// jrec is the journal of one key.
type jrec struct {
	committed atomic.Int64 // version (0: absent) or counter value
	pending   atomic.Int64 // what the operation under way writes
	inFlight  atomic.Int64 // 1 while an operation may or may not have happened
	last      atomic.Int64 // the highest version used
}

type journal struct {
	stop  atomic.Int64
	ops   atomic.Int64
	point [killWorkers]atomic.Int64 // 1 + the crash point a worker killed itself at
	a     [killWorkers][killKeys]jrec
	b     [killWorkers][killKeys]jrec
	ctr   [killWorkers][killCtrs]jrec
}

func killKey(w, k int) []byte { return fmt.Appendf(nil, "w%d/key%03d", w, k) }
func ctrKey(w, k int) []byte  { return fmt.Appendf(nil, "w%d/ctr%d", w, k) }

// killValue is version v of key (w, k): its length varies with v, so
// versions move between size classes, and every byte depends on all three.
func killValue(w, k int, v int64) []byte {
	b := fmt.Appendf(nil, "%d/%d/%d:", w, k, v)
	n := 10 + int((v*53+int64(k)*7)%400)
	for i := len(b); i < n; i++ {
		b = append(b, byte(int64(i)*131+v*17+int64(k)))
	}
	return b
}

// killVersion decodes a value of key (w, k), failing on anything that is
// not exactly some version of it.
func killVersion(w, k int, b []byte) (int64, error) {
	var ww, kk int
	var v int64
	if _, err := fmt.Sscanf(string(b), "%d/%d/%d:", &ww, &kk, &v); err != nil || ww != w || kk != k || !bytes.Equal(b, killValue(w, k, v)) {
		return 0, fmt.Errorf("torn or foreign value for key %d/%d: %q", w, k, b)
	}
	return v, nil
}

// settle checks what c holds for key (w, k) against the journal rec and
// makes the journal say it. evictable allows the entry to be gone.
func settle(c *Cache, rec *jrec, w, k int, evictable bool) error {
	v, ok := c.Get(killKey(w, k))
	got := int64(0)
	if ok {
		var err error
		if got, err = killVersion(w, k, v); err != nil {
			return err
		}
	}
	want := rec.committed.Load()
	switch {
	case got == want, evictable && got == 0:
	case rec.inFlight.Load() == 1 && got == rec.pending.Load():
	default:
		return fmt.Errorf("key %d/%d holds version %d; committed %d, in flight %d (%d)", w, k, got, want, rec.pending.Load(), rec.inFlight.Load())
	}
	rec.committed.Store(got)
	rec.inFlight.Store(0)
	return nil
}

// settleCounter is settle for counter k of worker w.
func settleCounter(c *Cache, rec *jrec, w, k int) error {
	v, ok := c.Get(ctrKey(w, k))
	if !ok || len(v) != 8 {
		return fmt.Errorf("counter %d/%d lost: %v %x", w, k, ok, v)
	}
	got := int64(binary.LittleEndian.Uint64(v))
	if got != rec.committed.Load() && !(rec.inFlight.Load() == 1 && got == rec.pending.Load()) {
		return fmt.Errorf("counter %d/%d = %d; committed %d, in flight %d (%d)", w, k, got, rec.committed.Load(), rec.pending.Load(), rec.inFlight.Load())
	}
	rec.committed.Store(got)
	rec.inFlight.Store(0)
	return nil
}

// journaled runs op, which takes rec from its committed state to next.
func journaled(rec *jrec, next int64, op func() error) error {
	rec.pending.Store(next)
	rec.inFlight.Store(1)
	if err := op(); err != nil {
		return err
	}
	rec.committed.Store(next)
	rec.inFlight.Store(0)
	return nil
}

const journalSize = int(unsafe.Sizeof(journal{}))

// killWorker is worker args[0] of the kill matrix: it settles its keys,
// says "R", then writes at random until the journal says stop.
func killWorker(args []string) int {
	w := intArgs(args)[0]
	jseg, err := shm.Inherited("kill-journal")
	if err != nil {
		return fail(err)
	}
	j, err := shm.View[journal](jseg, 0)
	if err != nil {
		return fail(err)
	}
	a, err := Inherited("kill-a")
	if err != nil {
		return fail(err)
	}
	b, err := Inherited("kill-b")
	if err != nil {
		return fail(err)
	}
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), uint64(time.Now().UnixNano())))
	crashHook = func(p int) {
		if j.stop.Load() == 0 && rng.IntN(killOdds[p]) == 0 {
			j.point[w].Store(int64(p) + 1)
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}
	bad := func(err error) int {
		fmt.Printf("BAD %v\n", err)
		return 1
	}
	for k := range killKeys {
		if err := settle(a, &j.a[w][k], w, k, false); err != nil {
			return bad(fmt.Errorf("cache A: %v", err))
		}
		if err := settle(b, &j.b[w][k], w, k, true); err != nil {
			return bad(fmt.Errorf("cache B: %v", err))
		}
	}
	for k := range killCtrs {
		if err := settleCounter(a, &j.ctr[w][k], w, k); err != nil {
			return bad(err)
		}
	}
	fmt.Println("R")
	for j.stop.Load() == 0 {
		k := rng.IntN(killKeys)
		var err error
		switch r := rng.IntN(100); {
		case r < 25:
			rec := &j.a[w][k]
			v := rec.last.Add(1)
			err = journaled(rec, v, func() error { return a.Set(killKey(w, k), killValue(w, k, v), 0) })
		case r < 35:
			rec := &j.a[w][k]
			err = journaled(rec, 0, func() error { _, err := a.Delete(killKey(w, k)); return err })
		case r < 65:
			rec := &j.b[w][k]
			v := rec.last.Add(1)
			err = journaled(rec, v, func() error { return b.Set(killKey(w, k), killValue(w, k, v), 0) })
		case r < 70:
			rec := &j.b[w][k]
			err = journaled(rec, 0, func() error { _, err := b.Delete(killKey(w, k)); return err })
		case r < 90:
			i, d := k%killCtrs, int64(rng.IntN(100)-30)
			rec := &j.ctr[w][i]
			err = journaled(rec, rec.committed.Load()+d, func() error { _, err := a.Incr(ctrKey(w, i), d, 0); return err })
		default:
			if err = settle(a, &j.a[w][k], w, k, false); err == nil {
				err = settle(b, &j.b[w][k], w, k, true)
			}
		}
		if err != nil {
			return bad(err)
		}
		j.ops.Add(1)
	}
	return 0
}

// killEvent is what the test hears from a worker: a line, or its end.
type killEvent struct {
	w, pid int
	line   string
	state  *os.ProcessState // set when the worker ended
}

func TestKillMatrix(t *testing.T) {
	kills := 500
	if testing.Short() || raceEnabled {
		kills = 100 // a race-enabled helper takes ~100 ms to start
	}
	a := newTest(t, Options{Name: "kill-a", Size: 2 << 20, Policy: Refuse, Stripes: 4, Entries: 600})
	b := newTest(t, Options{Name: "kill-b", Size: 128 << 10, Policy: Evict, Stripes: 2, PageSize: 4096})
	jseg, err := shm.AllocWith(journalSize, shm.AllocOptions{Name: "kill-journal"})
	if err != nil {
		t.Fatal(err)
	}
	defer jseg.Free()
	j, err := shm.View[journal](jseg, 0)
	if err != nil {
		t.Fatal(err)
	}
	for w := range killWorkers {
		for k := range killCtrs {
			if err := a.Set(ctrKey(w, k), make([]byte, 8), 0); err != nil {
				t.Fatal(err)
			}
		}
	}

	events := make(chan killEvent, 64)
	procs := make([]*exec.Cmd, killWorkers)
	ready := make([]bool, killWorkers)
	started := make([]time.Time, killWorkers)
	start := func(w int) {
		cmd := testproc.Command(t, "shmcache-kill", strconv.Itoa(w))
		for _, share := range []func(*exec.Cmd) error{a.ShareWith, b.ShareWith, jseg.ShareWith} {
			if err := share(cmd); err != nil {
				t.Fatal(err)
			}
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs[w], ready[w], started[w] = cmd, false, time.Now()
		go func(pid int) {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				events <- killEvent{w: w, pid: pid, line: sc.Text()}
			}
			cmd.Wait()
			events <- killEvent{w: w, pid: pid, state: cmd.ProcessState}
		}(cmd.Process.Pid)
	}
	defer func() {
		for _, cmd := range procs {
			if cmd != nil && cmd.ProcessState == nil {
				cmd.Process.Kill()
			}
		}
	}()
	for w := range killWorkers {
		start(w)
	}

	var selfKills, ourKills, released int
	points := make([]int, crashPoints)
	killedByUs := map[int]bool{}
	lastOps, lastProgress := j.ops.Load(), time.Now()
	nextKill := time.Now()
	for deaths := 0; deaths < kills; {
		select {
		case e := <-events:
			if e.state == nil {
				if e.line != "R" {
					t.Fatalf("worker %d: %s", e.w, e.line)
				}
				ready[e.w] = true
				continue
			}
			if procs[e.w].Process.Pid != e.pid {
				continue
			}
			ws, _ := e.state.Sys().(syscall.WaitStatus)
			if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("worker %d (pid %d) ended: %v", e.w, e.pid, e.state)
			}
			deaths++
			if killedByUs[e.pid] {
				ourKills++
			} else {
				selfKills++
				if p := j.point[e.w].Load() - 1; p >= 0 && p < crashPoints {
					points[p]++
				}
			}
			if deaths%4 == 0 { // as the master does after reaping a worker
				released += a.ReleaseOwner(e.pid) + b.ReleaseOwner(e.pid)
			}
			start(e.w)
		case <-time.After(time.Until(nextKill)):
			nextKill = time.Now().Add(time.Duration(1000+rand.IntN(4000)) * time.Microsecond)
			if w := rand.IntN(killWorkers); ready[w] {
				killedByUs[procs[w].Process.Pid] = true
				procs[w].Process.Signal(syscall.SIGKILL)
				ready[w] = false
			}
		}
		if ops := j.ops.Load(); ops != lastOps {
			lastOps, lastProgress = ops, time.Now()
		} else if time.Since(lastProgress) > 10*time.Second {
			t.Fatalf("no operation completed for 10s: wedged (a %v, b %v)", a.Stats(), b.Stats())
		}
		for w := range killWorkers {
			if !ready[w] && time.Since(started[w]) > 20*time.Second {
				t.Fatalf("worker %d did not settle its keys within 20s: wedged", w)
			}
		}
	}

	j.stop.Store(1)
	deadline := time.After(20 * time.Second)
	for alive := killWorkers; alive > 0; {
		select {
		case e := <-events:
			if e.state != nil && procs[e.w].Process.Pid == e.pid {
				// A worker may have decided to die just before the stop.
				ws, _ := e.state.Sys().(syscall.WaitStatus)
				if !e.state.Success() && !(ws.Signaled() && ws.Signal() == syscall.SIGKILL) {
					t.Fatalf("worker %d at stop: %v", e.w, e.state)
				}
				alive--
			} else if e.state == nil && e.line != "R" {
				t.Fatalf("worker %d: %s", e.w, e.line)
			}
		case <-deadline:
			t.Fatal("workers did not stop within 20s: wedged")
		}
	}

	// Every key, as the workers left it: nothing torn, nothing lost in A.
	for w := range killWorkers {
		for k := range killKeys {
			if err := settle(a, &j.a[w][k], w, k, false); err != nil {
				t.Errorf("cache A: %v", err)
			}
			if err := settle(b, &j.b[w][k], w, k, true); err != nil {
				t.Errorf("cache B: %v", err)
			}
		}
		for k := range killCtrs {
			if err := settleCounter(a, &j.ctr[w][k], w, k); err != nil {
				t.Error(err)
			}
		}
	}
	mustCheck(t, a)
	mustCheck(t, b)
	sa, sb := a.Stats(), b.Stats()
	var report []string
	for p, n := range points {
		report = append(report, fmt.Sprintf("%s %d", crashNames[p], n))
	}
	t.Logf("%d kills (%d at crash points, %d at random moments), %d locks released as a master would, %d operations; self-kills by point: %s",
		selfKills+ourKills, selfKills, ourKills, released, j.ops.Load(), strings.Join(report, ", "))
	t.Logf("cache A: %d takeovers, %d repairs, %d entries; cache B: %d takeovers, %d repairs, %d evictions, %d entries",
		sa.Takeovers, sa.Repairs, sa.Entries, sb.Takeovers, sb.Repairs, sb.Evictions, sb.Entries)
	if sa.Corruptions+sb.Corruptions+sa.Resets+sb.Resets != 0 {
		t.Fatalf("kills were taken for damage: %d and %d corruptions, %d and %d resets", sa.Corruptions, sb.Corruptions, sa.Resets, sb.Resets)
	}
	if sb.Evictions == 0 || sa.Takeovers+sb.Takeovers == 0 {
		t.Fatalf("the matrix did not exercise evictions (%d) or takeovers (%d)", sb.Evictions, sa.Takeovers+sb.Takeovers)
	}
}
