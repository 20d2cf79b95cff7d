package shmcache

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
	"github.com/fpmshm/fpmshm/shm"
)

func init() {
	testproc.Register("shmcache-operator", operator)
	testproc.Register("shmcache-scribbler", scribbler)
}

// TestHostileScribbler: while two processes use a cache, a third writes
// random bytes all over its segment (a quarter of them aimed at the
// superblock, locks, index and descriptors). The users must not crash,
// hang (no operation may take longer than maxOpTime), read a value that
// is not exactly one they stored, or get an untyped error; the damage
// must be reported (ErrCorrupt, Stats.Corruptions). Afterwards Repair,
// and Reset for what Repair cannot mend, make the cache exactly
// consistent and fully usable again.
func TestHostileScribbler(t *testing.T) {
	run := 1500 * time.Millisecond
	if testing.Short() {
		run = 300 * time.Millisecond
	}
	c := newTest(t, Options{Name: "hostile", Size: 1 << 20, Stripes: 4, PageSize: 4096})
	for i := range 2000 {
		c.Set(killKey(9, i), killValue(9, i, 1), 0)
	}
	ms := strconv.Itoa(int(run.Milliseconds()))
	var cmds []*exec.Cmd
	var outs []*bufio.Scanner
	for i, helper := range []string{"shmcache-operator", "shmcache-operator", "shmcache-scribbler"} {
		cmd := testproc.Command(t, helper, strconv.Itoa(i), ms)
		if err := c.ShareWith(cmd); err != nil {
			t.Fatal(err)
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, bufio.NewScanner(out))
	}
	corrupt := 0
	for i, cmd := range cmds {
		var line string
		if outs[i].Scan() {
			line = outs[i].Text()
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("helper %d: %v (said %q)", i, err, line)
			}
		case <-time.After(run + 10*time.Second):
			cmd.Process.Kill()
			t.Fatalf("helper %d hung", i)
		}
		t.Logf("helper %d: %s", i, line)
		if f := strings.Fields(line); len(f) > 3 && f[0] == "OK" {
			n, _ := strconv.Atoi(f[3])
			corrupt += n
		}
	}
	s := c.Stats()
	t.Logf("after scribbling: %d corruptions counted, %d repairs, %d resets, %d takeovers; %d ErrCorrupt seen", s.Corruptions, s.Repairs, s.Resets, s.Takeovers, corrupt)
	if s.Corruptions == 0 && corrupt == 0 {
		t.Fatal("no damage was reported")
	}
	if _, why := open(c.seg.Bytes(), "hostile", false); why != "" {
		t.Logf("a new process cannot open the cache: %s", why)
	}

	c.SetLockTimeout(100 * time.Millisecond)
	err := c.Repair()
	t.Logf("Repair: %v", err)
	if err != nil && !errors.Is(err, ErrCorrupt) {
		t.Fatal(err)
	}
	if err := c.Check(); err != nil {
		var dmg *DamageError
		if !errors.As(err, &dmg) {
			t.Fatal(err)
		}
		t.Logf("after Repair: %v", err)
		for _, s := range dmg.Stripes {
			if err := c.Reset(s); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := c.Reset(0); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, c)
	for i := range 1000 {
		if err := c.Set(key(i), value(i, 5, 100), 0); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 1000 {
		if v, ok := c.Get(key(i)); ok && !bytes.Equal(v, value(i, 5, 100)) || !ok && c.Stats().Evictions == 0 {
			t.Fatalf("key %d after the repair: %v %q", i, ok, v)
		}
	}
	mustCheck(t, c)
}

// maxOpTime bounds every operation under scribbling: the lock timeout
// for each stripe an operation locks, and a repair of each. A
// race-enabled binary is several times slower.
var maxOpTime = map[bool]time.Duration{false: time.Second, true: 5 * time.Second}[raceEnabled]

// operator uses the cache for args[1] milliseconds as user args[0] and
// prints "OK operations max-latency-µs ErrCorrupt-seen ErrBusy-seen".
func operator(args []string) int {
	n := intArgs(args)
	id, run := n[0], time.Duration(n[1])*time.Millisecond
	c, err := Inherited("hostile")
	if err != nil {
		return fail(err)
	}
	defer c.Close()
	c.SetLockTimeout(50 * time.Millisecond)
	rng := rand.New(rand.NewPCG(uint64(id), 7))
	var ops, corrupt, busy int
	var worst time.Duration
	versions := map[int]int64{}
	for end := time.Now().Add(run); time.Now().Before(end); ops++ {
		k := rng.IntN(2000)
		w := id
		if rng.IntN(4) == 0 {
			w = 9 // the parent's keys
		}
		begin := time.Now()
		var err error
		switch r := rng.IntN(100); {
		case r < 50:
			if v, ok := c.Get(killKey(w, k)); ok {
				if _, err := killVersion(w, k, v); err != nil {
					return fail(fmt.Errorf("Get returned what was never stored: %v", err))
				}
			}
		case r < 75:
			versions[k]++
			err = c.Set(killKey(w, k), killValue(w, k, versions[k]), 0)
		case r < 85:
			_, err = c.Delete(killKey(w, k))
		case r < 95:
			_, err = c.Incr(ctrKey(id, k%8), 1, 0)
		case r < 97:
			err = c.Range(func(k, v []byte) bool { return true })
			c.Stats()
		default:
			if err = c.Check(); errors.Is(err, ErrCorrupt) {
				err = nil
			}
		}
		if d := time.Since(begin); d > worst {
			worst = d
		}
		switch {
		case err == nil, errors.Is(err, ErrFull), errors.Is(err, ErrNotCounter):
		case errors.Is(err, ErrCorrupt):
			corrupt++
		case errors.Is(err, ErrBusy):
			busy++
		default:
			return fail(fmt.Errorf("untyped error: %v", err))
		}
	}
	if worst > maxOpTime {
		return fail(fmt.Errorf("an operation took %v", worst))
	}
	fmt.Printf("OK %d %d %d %d\n", ops, worst.Microseconds(), corrupt, busy)
	return 0
}

// scribbler writes random bytes over the cache's segment for args[1]
// milliseconds.
func scribbler(args []string) int {
	run := time.Duration(intArgs(args)[1]) * time.Millisecond
	seg, err := shm.Inherited(SegmentName("hostile"))
	if err != nil {
		return fail(err)
	}
	defer seg.Free()
	c, why := open(seg.Bytes(), "hostile", true) // for its layout only
	if why != "" {
		return fail(errors.New(why))
	}
	mem := seg.Bytes()
	meta := int(c.g.dataOff) // superblock to descriptors
	rng := rand.New(rand.NewPCG(3, 3))
	writes := 0
	for end := time.Now().Add(run); time.Now().Before(end); writes++ {
		span := len(mem)
		if rng.IntN(4) == 0 {
			span = meta
		}
		off := rng.IntN(span)
		for i := range min(1+rng.IntN(32), len(mem)-off) {
			mem[off+i] = byte(rng.Uint32())
		}
		if writes%16 == 0 {
			time.Sleep(20 * time.Microsecond)
		}
	}
	fmt.Printf("OK %d writes\n", writes)
	return 0
}
