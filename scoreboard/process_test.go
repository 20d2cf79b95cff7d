package scoreboard

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
	"github.com/fpmshm/fpmshm/shm"
)

func init() {
	testproc.Register("sb-worker", helperWorker)
	testproc.Register("sb-reader", helperReader)
	testproc.Register("sb-hostile", helperHostile)
}

// openInherited takes up the pool "www"'s board handed to this process.
func openInherited() (*Board, error) {
	seg, err := shm.Inherited(SegmentName("www"))
	if err != nil {
		return nil, err
	}
	return Open(seg)
}

// helperWorker serves args[1] requests (forever if -1) on slot args[0].
func helperWorker(args []string) int {
	slot, _ := strconv.Atoi(args[0])
	n, _ := strconv.Atoi(args[1])
	b, err := openInherited()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready") // the master then publishes the slot with this pid
	w, err := b.Slot(slot)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	info := RequestInfo{Method: "GET", URI: "/index.php", Query: "slot=" + args[0], Script: "/srv/index.php"}
	for i := 0; n < 0 || i < n; i++ {
		w.Accepting()
		w.ReadingHeaders()
		w.RequestInfo(info)
		w.Executing()
		w.End(time.Microsecond, uint64(1+i%1000))
		w.Finished()
	}
	w.Accepting()
	return 0
}

// helperReader takes full snapshots until its standard input closes,
// checking each; it prints how many it took.
func helperReader(args []string) int {
	slots, _ := strconv.Atoi(args[0])
	b, err := openInherited()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	done := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(done) }()
	var last uint64
	for n := 0; ; n++ {
		select {
		case <-done:
			fmt.Println(n)
			return 0
		default:
		}
		snap, err := b.Snapshot(true)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		p := snap.Pool
		if p.AcceptedConn < last || p.Idle+p.Active > slots || len(snap.Procs) != p.Idle+p.Active {
			fmt.Fprintf(os.Stderr, "snapshot %d impossible: %+v after accepted conn %d\n", n, p, last)
			return 1
		}
		for _, pr := range snap.Procs {
			if pr.Invalid != "" {
				fmt.Fprintf(os.Stderr, "snapshot %d: slot %d invalid: %s\n", n, pr.Slot, pr.Invalid)
				return 1
			}
		}
		last = p.AcceptedConn
	}
}

// spawn starts helper with args, handed the board, in slot (if >= 0).
func spawn(t *testing.T, b *Board, slot int, helper string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := testproc.Command(t, helper, args...)
	if err := b.Segment().ShareWith(cmd); err != nil {
		t.Fatal(err)
	}
	testproc.StartReady(t, cmd, "ready")
	if slot >= 0 {
		b.Started(slot, cmd.Process.Pid)
	}
	return cmd
}

// TestWorkersCountExactly runs 4 worker processes of 25,000 requests each
// while a fifth process takes full snapshots without pause: accepted conn
// ends at exactly 100,000, the slots' request counts add up to it, and no
// snapshot was torn or impossible.
func TestWorkersCountExactly(t *testing.T) {
	const workers, each = 4, 25_000
	b := newBoard(t, workers)
	reader := testproc.Command(t, "sb-reader", strconv.Itoa(workers))
	if err := b.Segment().ShareWith(reader); err != nil {
		t.Fatal(err)
	}
	stdin, _ := reader.StdinPipe()
	var out []byte
	readerDone := make(chan error, 1)
	go func() {
		var err error
		out, err = reader.Output()
		readerDone <- err
	}()
	var cmds []*exec.Cmd
	for range workers {
		slot, err := b.AllocSlot()
		if err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, spawn(t, b, slot, "sb-worker", strconv.Itoa(slot), strconv.Itoa(each)))
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("worker: %v", err)
		}
	}
	stdin.Close()
	if err := <-readerDone; err != nil {
		t.Fatalf("reader: %v", err)
	}
	snap, _ := b.Snapshot(true)
	if snap.Pool.AcceptedConn != workers*each {
		t.Fatalf("accepted conn %d, want %d", snap.Pool.AcceptedConn, workers*each)
	}
	var sum uint64
	for _, p := range snap.Procs {
		sum += p.Requests
		if p.Requests != each || p.Stage != Idle || p.Invalid != "" {
			t.Errorf("slot %d: %d requests, stage %v, %q", p.Slot, p.Requests, p.Stage, p.Invalid)
		}
	}
	if sum != workers*each || snap.Pool.Idle != workers || snap.Pool.MaxActive > workers || snap.Pool.MaxActive < 1 {
		t.Fatalf("slots add up to %d requests; pool %+v", sum, snap.Pool)
	}
	t.Logf("the reader took %s full snapshots meanwhile", out)
}

// TestKillWorkersAtRandomStages SIGKILLs workers 200 times at random
// moments of their request cycle; the master reaps each, frees its slot
// and starts another. Counts stay within bounds at every step, and at the
// end nothing of the dead is left.
func TestKillWorkersAtRandomStages(t *testing.T) {
	const workers, kills = 4, 200
	b := newBoard(t, workers)
	running := map[int]*exec.Cmd{}
	start := func() {
		slot, err := b.AllocSlot()
		if err != nil {
			t.Fatal(err)
		}
		running[slot] = spawn(t, b, slot, "sb-worker", strconv.Itoa(slot), "-1")
	}
	for range workers {
		start()
	}
	for k := range kills {
		slot := rand.IntN(workers)
		cmd := running[slot]
		time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if err := b.FreeSlot(slot); err != nil {
			t.Fatal(err)
		}
		snap, _ := b.Snapshot(true)
		checkBounded(t, snap, workers)
		if len(snap.Procs) != workers-1 {
			t.Fatalf("kill %d: %d slots used, want %d", k, len(snap.Procs), workers-1)
		}
		for _, p := range snap.Procs {
			if p.Invalid != "" && !strings.HasPrefix(p.Invalid, "record was being written by a process that did not finish") {
				t.Fatalf("kill %d: slot %d: %s", k, p.Slot, p.Invalid)
			}
		}
		start()
	}
	for slot, cmd := range running {
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		b.FreeSlot(slot)
	}
	snap, _ := b.Snapshot(true)
	if snap.Pool.Idle+snap.Pool.Active != 0 || len(snap.Procs) != 0 || snap.Pool.MaxActive > workers {
		t.Fatalf("after all workers died: pool %+v", snap.Pool)
	}
	if snap.Pool.AcceptedConn == 0 {
		t.Fatal("the workers served no request at all")
	}
}

// helperHostile writes random bytes over the whole board until killed.
func helperHostile([]string) int {
	seg, err := shm.Inherited(SegmentName("www"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	mem := seg.Bytes()
	w := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(w, "ready")
	w.Flush()
	for {
		off := rand.IntN(len(mem))
		end := min(len(mem), off+1+rand.IntN(256))
		for i := off; i < end; i++ {
			mem[i] = byte(rand.Uint32())
		}
	}
}

// TestHostileWorkerProcess lets a child scribble random bytes over the
// whole segment while the master takes 2,000 snapshots and a tool opens
// the board: nothing panics, nothing is out of bounds, the master's own
// facts hold.
func TestHostileWorkerProcess(t *testing.T) {
	b := newBoard(t, 8)
	for range 8 {
		slot, _ := b.AllocSlot()
		b.Started(slot, 5000+slot)
	}
	cmd := testproc.Command(t, "sb-hostile")
	if err := b.Segment().ShareWith(cmd); err != nil {
		t.Fatal(err)
	}
	testproc.StartReady(t, cmd, "ready")
	invalid := 0
	for range 2000 {
		snap, err := b.Snapshot(true)
		if err != nil {
			t.Fatal(err)
		}
		checkBounded(t, snap, 8)
		if snap.Pool.Name != "www" || len(snap.Procs) != 8 {
			t.Fatalf("master's facts changed: %q, %d procs", snap.Pool.Name, len(snap.Procs))
		}
		for _, p := range snap.Procs {
			if p.PID != 5000+p.Slot {
				t.Fatalf("slot %d reported pid %d", p.Slot, p.PID)
			}
			if p.Invalid != "" {
				invalid++
			}
		}
		if tool, err := Open(b.Segment()); err == nil {
			s, _ := tool.Snapshot(true)
			checkBounded(t, s, 8)
		}
	}
	if invalid == 0 {
		t.Fatal("2,000 snapshots of a scribbled segment found nothing invalid: the validation did not run")
	}
}
