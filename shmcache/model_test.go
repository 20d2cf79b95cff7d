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
	"testing"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

func init() {
	testproc.Register("shmcache-model", modelWorker)
}

const (
	modelWorkers  = 4
	modelOps      = 100000
	modelKeys     = 2000 // per worker
	modelCounters = 16   // shared by all workers
)

// TestWorkersAgainstModel: 4 worker processes each run 100,000 mixed
// operations (Get, Set, Add, CompareAndSwap, Delete, Incr) on their own
// keys, checking every result against a model of what the cache must
// hold, and increment 16 counters they share. The parent then checks the
// cache's figures against the workers' exact counts, the shared counters
// against the sum of every increment, and the allocator's accounting.
func TestWorkersAgainstModel(t *testing.T) {
	ops := modelOps
	if testing.Short() {
		ops = 10000
	}
	c := newTest(t, Options{Name: "model", Size: 16 << 20, Policy: Refuse})
	var cmds []*exec.Cmd
	var outs []*bufio.Scanner
	for w := range modelWorkers {
		cmd := testproc.Command(t, "shmcache-model", strconv.Itoa(w), strconv.Itoa(ops))
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
	var want modelCounts
	sums := make([]int64, modelCounters)
	for w, cmd := range cmds {
		var line string
		if outs[w].Scan() {
			line = outs[w].Text()
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("worker %d: %v (said %q)", w, err, line)
		}
		var got modelCounts
		f := strings.Fields(line)
		if len(f) != 7+modelCounters || f[0] != "OK" {
			t.Fatalf("worker %d said %q", w, line)
		}
		n := make([]int64, len(f)-1)
		for i := range n {
			n[i], _ = strconv.ParseInt(f[i+1], 10, 64)
		}
		got = modelCounts{uint64(n[0]), uint64(n[1]), uint64(n[2]), uint64(n[3]), uint64(n[4]), n[5]}
		want.add(got)
		for i := range sums {
			sums[i] += n[6+i]
		}
	}
	s := c.Stats()
	want.entries += modelCounters
	if s.Hits != want.hits || s.Misses != want.misses || s.Sets != want.sets || s.Incrs != want.incrs ||
		s.Deletes != want.deletes || s.Entries != want.entries || c.Len() != int(want.entries) {
		t.Fatalf("cache counted %d hits, %d misses, %d sets, %d incrs, %d deletes, %d entries; the workers %+v",
			s.Hits, s.Misses, s.Sets, s.Incrs, s.Deletes, s.Entries, want)
	}
	for i, sum := range sums {
		v, ok := c.Get(counterKey(i))
		if !ok || int64(binary.LittleEndian.Uint64(v)) != sum {
			t.Fatalf("shared counter %d = %x, want %d", i, v, sum)
		}
	}
	if s.Refused != 0 || s.Corruptions != 0 || s.Repairs != 0 {
		t.Fatalf("unexpected %d refusals, %d corruptions, %d repairs", s.Refused, s.Corruptions, s.Repairs)
	}
	mustCheck(t, c)
	t.Logf("%d workers x %d operations: %+v", modelWorkers, ops, want)
}

// modelCounts are what a worker did, as Stats counts it.
type modelCounts struct {
	hits, misses, sets, incrs, deletes uint64
	entries                            int64
}

func (m *modelCounts) add(o modelCounts) {
	m.hits += o.hits
	m.misses += o.misses
	m.sets += o.sets
	m.incrs += o.incrs
	m.deletes += o.deletes
	m.entries += o.entries
}

func counterKey(i int) []byte { return fmt.Appendf(nil, "shared-counter-%02d", i) }

// modelWorker runs args[1] random operations as worker args[0] and prints
// "OK hits misses sets incrs deletes entries" and its increments of each
// shared counter; on a mismatch with its model it prints why and fails.
func modelWorker(args []string) int {
	n := intArgs(args)
	w, ops := n[0], n[1]
	c, err := Inherited("model")
	if err != nil {
		return fail(err)
	}
	defer c.Close()
	rng := rand.New(rand.NewPCG(uint64(w), 42))
	model := map[string][]byte{}
	var m modelCounts
	sums := make([]int64, modelCounters)
	buf := make([]byte, 0, 1024)
	keyOf := func(j int) []byte { return fmt.Appendf(nil, "w%d-k%d", w, j) }
	for op := range ops {
		j := rng.IntN(modelKeys)
		k := keyOf(j)
		want, present := model[string(k)]
		newValue := value(j, op, rng.IntN(600))
		switch r := rng.IntN(100); {
		case r < 40: // Get
			v, ok := c.AppendGet(buf[:0], k)
			if ok != present || !bytes.Equal(v, want) {
				return fail(fmt.Errorf("op %d: Get(%s) = %v %q, model %v %q", op, k, ok, v, present, want))
			}
			if ok {
				m.hits++
			} else {
				m.misses++
			}
		case r < 60: // Set
			if err := c.Set(k, newValue, 0); err != nil {
				return fail(fmt.Errorf("op %d: %v", op, err))
			}
			model[string(k)] = newValue
			m.sets++
		case r < 70: // Add
			ok, err := c.Add(k, newValue, 0)
			if err != nil || ok == present {
				return fail(fmt.Errorf("op %d: Add(%s) = %v, %v with the key present: %v", op, k, ok, err, present))
			}
			if ok {
				model[string(k)] = newValue
				m.sets++
			}
		case r < 80: // CompareAndSwap, with the right old value half the time
			old := want
			if rng.IntN(2) == 0 {
				old = value(j, -1, 3)
			}
			ok, err := c.CompareAndSwap(k, old, newValue, 0)
			if wantOK := present && bytes.Equal(old, want); err != nil || ok != wantOK {
				return fail(fmt.Errorf("op %d: CompareAndSwap(%s) = %v, %v, want %v", op, k, ok, err, wantOK))
			}
			if ok {
				model[string(k)] = newValue
				m.sets++
			}
		case r < 90: // Delete
			ok, err := c.Delete(k)
			if err != nil || ok != present {
				return fail(fmt.Errorf("op %d: Delete(%s) = %v, %v, model %v", op, k, ok, err, present))
			}
			if ok {
				delete(model, string(k))
				m.deletes++
			}
		case r < 95: // Incr of a key of its own: a counter, or not one
			got, err := c.Incr(k, 3, 0)
			switch {
			case present && len(want) != 8:
				if err == nil {
					return fail(fmt.Errorf("op %d: Incr of a %d-byte value succeeded", op, len(want)))
				}
			case err != nil:
				return fail(fmt.Errorf("op %d: Incr: %v", op, err))
			default:
				prev := int64(0)
				if present {
					prev = int64(binary.LittleEndian.Uint64(want))
				}
				if got != prev+3 {
					return fail(fmt.Errorf("op %d: Incr = %d, want %d", op, got, prev+3))
				}
				model[string(k)] = binary.LittleEndian.AppendUint64(nil, uint64(got))
				m.incrs++
			}
		default: // a shared counter
			i := rng.IntN(modelCounters)
			d := int64(rng.IntN(10)) - 3
			if _, err := c.Incr(counterKey(i), d, 0); err != nil {
				return fail(fmt.Errorf("op %d: shared Incr: %v", op, err))
			}
			sums[i] += d
			m.incrs++
		}
	}
	m.entries = int64(len(model))
	fmt.Fprintf(os.Stdout, "OK %d %d %d %d %d %d", m.hits, m.misses, m.sets, m.incrs, m.deletes, m.entries)
	for _, s := range sums {
		fmt.Fprintf(os.Stdout, " %d", s)
	}
	fmt.Println()
	return 0
}
