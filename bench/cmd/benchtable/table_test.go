package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMetricReference checks that a pair whose reference is a metric of its
// own benchmark line is the ratio of the two medians, and that the other
// kinds of reference still read ns/op.
func TestMetricReference(t *testing.T) {
	dir := t.TempDir()
	pairs := filepath.Join(dir, "pairs.txt")
	if err := os.WriteFile(pairs, []byte(`./shm BenchmarkVsRaw metric:raw-ns/op 1.05
./shm BenchmarkA go:BenchmarkB 1.5
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := `pkg: example.com/m/shm
BenchmarkVsRaw-2   100   1100 ns/op   1000 raw-ns/op
BenchmarkVsRaw-2   100   1200 ns/op   1000 raw-ns/op
BenchmarkVsRaw-2   100   1150 ns/op   900 raw-ns/op
BenchmarkA-2   100   300 ns/op   2 allocs/op
BenchmarkB-2   100   200 ns/op
`
	p, err := readPairs(pairs)
	if err != nil {
		t.Fatal(err)
	}
	res := newResults()
	if err := readResults(strings.NewReader(out), res); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	table(&buf, p, res)
	lines := strings.Split(buf.String(), "\n")
	for _, want := range [][]string{
		{"shm.BenchmarkVsRaw", "1150.00", "metric:raw-ns/op", "1000.00", "1.15", "1.05", "OVER"},
		{"shm.BenchmarkA", "300.00", "go:BenchmarkB", "200.00", "1.50", "1.5", "ok"},
	} {
		found := false
		for _, l := range lines {
			if f := strings.Fields(l); len(f) > 0 && f[0] == want[0] {
				found = true
				var got []string
				for _, x := range f {
					if !strings.HasPrefix(x, "±") {
						got = append(got, x)
					}
				}
				if strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("row %q, want %q", strings.Join(got, " "), strings.Join(want, " "))
				}
			}
		}
		if !found {
			t.Errorf("no row for %s in\n%s", want[0], buf.String())
		}
	}
}
