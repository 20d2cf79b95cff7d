package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// A pair is one line of pairs.txt.
type pair struct {
	pkg    string  // Go package directory, as given: "./shm"
	name   string  // Go benchmark: "BenchmarkAllocFree"
	ref    string  // "" for none, "go:BenchmarkX" for a Go reference, "metric:UNIT" for one the benchmark reports, else a C case: "CSeedAllocFree"
	target float64 // 0 when report only
	tgt    string  // the target as written: "1.2" or "-"
}

// goRef returns the Go benchmark the pair is compared with, if any.
func (p pair) goRef() (string, bool) {
	return strings.CutPrefix(p.ref, "go:")
}

// metricRef returns the unit of the metric the pair's Go benchmark
// reports beside its ns/op as its reference, if that is the reference: a
// time measured interleaved with its own.
func (p pair) metricRef() (string, bool) {
	return strings.CutPrefix(p.ref, "metric:")
}

// readPairs parses pairs.txt: "GoPackage GoBenchmark Reference Target",
// with "-" for no reference or no target; '#' starts a comment.
func readPairs(path string) ([]pair, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var pairs []pair
	for i, line := range strings.Split(string(data), "\n") {
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 4 {
			return nil, fmt.Errorf("%s:%d: want 4 fields (package, benchmark, reference, target), got %d", path, i+1, len(f))
		}
		p := pair{pkg: f[0], name: f[1], tgt: f[3]}
		if f[2] != "-" {
			p.ref = f[2]
		}
		if f[3] != "-" {
			t, err := strconv.ParseFloat(f[3], 64)
			if err != nil || t <= 0 {
				return nil, fmt.Errorf("%s:%d: bad target %q", path, i+1, f[3])
			}
			if p.ref == "" {
				return nil, fmt.Errorf("%s:%d: a target needs a reference", path, i+1)
			}
			p.target = t
		}
		pairs = append(pairs, p)
	}
	return pairs, nil
}

// selectPairs keeps the pairs whose Go benchmark or reference matches re.
func selectPairs(pairs []pair, re *regexp.Regexp) []pair {
	if re == nil {
		return pairs
	}
	var out []pair
	for _, p := range pairs {
		if re.MatchString(p.name) || (p.ref != "" && re.MatchString(p.ref)) {
			out = append(out, p)
		}
	}
	return out
}

// plan prints the packages and benchmark expressions bench/run needs.
func plan(w io.Writer, pairs []pair) {
	var pkgs, goNames, cNames []string
	add := func(list *[]string, s string) {
		if !slices.Contains(*list, s) {
			*list = append(*list, s)
		}
	}
	for _, p := range pairs {
		add(&pkgs, p.pkg)
		add(&goNames, topLevel(p.name))
		if r, ok := p.goRef(); ok {
			add(&goNames, topLevel(r))
		} else if _, ok := p.metricRef(); !ok && p.ref != "" {
			add(&cNames, p.ref)
		}
	}
	fmt.Fprintf(w, "packages %s\n", strings.Join(pkgs, " "))
	fmt.Fprintf(w, "gobench %s\n", anchored(goNames))
	fmt.Fprintf(w, "cbench %s\n", anchored(cNames))
}

// topLevel returns the top-level benchmark of a sub-benchmark name, since
// go test -bench matches each level of a name separately.
func topLevel(name string) string {
	top, _, _ := strings.Cut(name, "/")
	return top
}

// anchored returns a regular expression matching exactly the given names,
// or one that matches nothing when there are none.
func anchored(names []string) string {
	if len(names) == 0 {
		return "^$"
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = regexp.QuoteMeta(n)
	}
	return "^(" + strings.Join(quoted, "|") + ")$"
}

// results holds samples by package import path and benchmark name as
// printed (with its -GOMAXPROCS suffix): ns/op under the name, any other
// metric under "name unit"; C results have the package "".
type results struct {
	samples     map[string]map[string][]float64
	order       map[string][]string // names in the order first seen
	buildFailed map[string]bool     // import paths go test could not build
	failed      map[string]bool     // "importpath name" of benchmarks that failed
}

// newResults returns empty results, ready for readResults.
func newResults() *results {
	return &results{
		samples:     map[string]map[string][]float64{},
		order:       map[string][]string{},
		buildFailed: map[string]bool{},
		failed:      map[string]bool{},
	}
}

// readResults reads benchmark output, tracking the "pkg:" header lines that
// go test prints before each package's benchmarks.
func readResults(r io.Reader, res *results) error {
	pkg := ""
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "pkg:":
			pkg = f[1]
		case len(f) >= 3 && f[0] == "FAIL" && (strings.Contains(line, "[build failed]") || strings.Contains(line, "[setup failed]")):
			res.buildFailed[f[1]] = true
		case len(f) >= 3 && f[0] == "---" && f[1] == "FAIL:":
			res.failed[pkg+" "+f[2]] = true
		case len(f) >= 4 && strings.HasPrefix(f[0], "Benchmark"):
			// name iterations value unit [value unit]...
			for i := 2; i+1 < len(f); i += 2 {
				v, err := strconv.ParseFloat(f[i], 64)
				if err != nil {
					break
				}
				key := f[0]
				if f[i+1] != "ns/op" {
					key += " " + f[i+1]
				}
				if res.samples[pkg] == nil {
					res.samples[pkg] = map[string][]float64{}
				}
				if res.samples[pkg][key] == nil && f[i+1] == "ns/op" {
					res.order[pkg] = append(res.order[pkg], key)
				}
				res.samples[pkg][key] = append(res.samples[pkg][key], v)
			}
		}
	}
	return sc.Err()
}

// samePackage reports whether the import path names the pair's directory.
func samePackage(importPath, dir string) bool {
	rel := strings.TrimPrefix(strings.TrimSuffix(dir, "/"), "./")
	return importPath == rel || strings.HasSuffix(importPath, "/"+rel)
}

// sameBenchmark reports whether a printed name is the wanted benchmark:
// equal, or followed by go test's "-GOMAXPROCS" suffix.
func sameBenchmark(printed, want string) bool {
	rest, ok := strings.CutPrefix(printed, want)
	if !ok {
		return false
	}
	if rest == "" {
		return true
	}
	_, err := strconv.Atoi(strings.TrimPrefix(rest, "-"))
	return rest[0] == '-' && err == nil
}

// cell is one side of a row: a median and a spread, or why there is none.
type cell struct {
	median, spread float64
	status         string // "" when measured, else "missing", "FAIL", "build failed"
}

func (c cell) ns() string {
	if c.status != "" {
		return c.status
	}
	return strconv.FormatFloat(c.median, 'f', 2, 64)
}

func (c cell) pm() string {
	if c.status != "" || c.spread == 0 {
		return ""
	}
	return fmt.Sprintf("±%.0f%%", 100*c.spread)
}

// goCell finds the unit ("ns/op" or another metric) of a Go benchmark of
// the pair's package.
func (res *results) goCell(dir, name, unit string) cell {
	for pkg, byName := range res.samples {
		if pkg == "" || !samePackage(pkg, dir) {
			continue
		}
		for key, s := range byName {
			printed, u, _ := strings.Cut(key, " ")
			if u == "" {
				u = "ns/op"
			}
			if u == unit && sameBenchmark(printed, name) {
				return summarize(s)
			}
		}
	}
	for pkg := range res.buildFailed {
		if samePackage(pkg, dir) {
			return cell{status: "build failed"}
		}
	}
	for key := range res.failed {
		pkg, printed, _ := strings.Cut(key, " ")
		if samePackage(pkg, dir) && sameBenchmark(printed, name) {
			return cell{status: "FAIL"}
		}
	}
	return cell{status: "missing"}
}

// cCell finds a reference case: a C program's or an anchor's.
func (res *results) cCell(name string) cell {
	if s, ok := res.samples[""]["Benchmark"+name]; ok {
		return summarize(s)
	}
	return cell{status: "missing"}
}

// summarize returns the median of the samples and their spread,
// (max-min)/median.
func summarize(s []float64) cell {
	s = slices.Clone(s)
	slices.Sort(s)
	n := len(s)
	m := s[n/2]
	if n%2 == 0 {
		m = (s[n/2-1] + s[n/2]) / 2
	}
	c := cell{median: m}
	if m > 0 {
		c.spread = (s[n-1] - s[0]) / m
	}
	return c
}

// table prints one row per pair, then every reference figure measured.
func table(w io.Writer, pairs []pair, res *results) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Go benchmark\tGo ns/op\t±\treference\tref ns/op\t±\tGo/ref\ttarget\tresult")
	for _, p := range pairs {
		g := res.goCell(p.pkg, p.name, "ns/op")
		var r cell
		refName := "-"
		name, isGo := p.goRef()
		unit, isMetric := p.metricRef()
		switch {
		case p.ref == "":
			r = cell{status: "-"}
		case isGo:
			refName = p.ref
			r = res.goCell(p.pkg, name, "ns/op")
		case isMetric:
			refName = p.ref
			r = res.goCell(p.pkg, p.name, unit)
		default:
			refName = p.ref
			r = res.cCell(p.ref)
		}
		ratio, result := "-", "report"
		switch {
		case g.status != "":
			result = g.status
		case p.ref == "":
		case r.status != "":
			result = "ref " + r.status
		default:
			q := g.median / r.median
			ratio = strconv.FormatFloat(q, 'f', 2, 64)
			if q < 0.1 { // against Redis: keep three digits
				ratio = strconv.FormatFloat(q, 'g', 3, 64)
			}
			if p.target > 0 {
				result = "ok"
				if q > p.target {
					result = "OVER"
				}
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			strings.TrimPrefix(p.pkg, "./")+"."+p.name, g.ns(), g.pm(),
			refName, r.ns(), r.pm(), ratio, p.tgt, result)
	}
	tw.Flush()

	if names := res.order[""]; len(names) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(tw, "Reference\tns/op\t±\tsamples")
		for _, name := range names {
			s := res.samples[""][name]
			c := summarize(s)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", strings.TrimPrefix(name, "Benchmark"), c.ns(), c.pm(), len(s))
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "ns/op: median of each benchmark's samples; ±: their spread, (max-min)/median.")
	fmt.Fprintln(w, "result: ok when Go/ref <= target, OVER when above; report: no target.")
}

func main() {
	pairsPath := flag.String("pairs", "bench/pairs.txt", "pairs file")
	filter := flag.String("filter", "", "keep pairs whose Go benchmark or reference matches this regular expression")
	doPlan := flag.Bool("plan", false, "print what to run for the selected pairs, and exit")
	cOut := flag.String("c", "", "output of the C reference programs and the anchors")
	goOut := flag.String("go", "", "output of go test -bench")
	flag.Parse()

	if err := run(*pairsPath, *filter, *doPlan, *cOut, *goOut); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

func run(pairsPath, filter string, doPlan bool, cOut, goOut string) error {
	pairs, err := readPairs(pairsPath)
	if err != nil {
		return err
	}
	var re *regexp.Regexp
	if filter != "" {
		if re, err = regexp.Compile(filter); err != nil {
			return fmt.Errorf("filter: %w", err)
		}
	}
	pairs = selectPairs(pairs, re)
	if doPlan {
		plan(os.Stdout, pairs)
		return nil
	}
	res := newResults()
	// The C output carries no "pkg:" line, so its names land under "".
	for _, path := range []string{cOut, goOut} {
		if path == "" {
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		err = readResults(f, res)
		f.Close()
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
	}
	table(os.Stdout, pairs, res)
	return nil
}
