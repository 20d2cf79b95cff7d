package layers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

const module = "github.com/fpmshm/fpmshm"

// layers lists the module's packages, lowest layer first. A package may
// import packages of its own layer and of the layers below it, never above.
// An entry names a package and the packages below its directory, unless a
// longer entry names them: "pm" covers pm/errorlog. A package named by no
// entry fails the test, so each new package is placed here on purpose.
var layers = [][]string{
	// Foundations: they import nothing of the module.
	{"internal/order", "internal/sys", "internal/fcgi", "internal/strftime", "internal/testproc", "internal/layers"},
	// On internal/sys: segments, systemd's notification socket; and the
	// FastCGI test client, on internal/fcgi.
	{"shm", "internal/sdnotify", "internal/fcgi/fcgitest"},
	// Locks in shared memory.
	{"shmsync"},
	// What lives in a segment.
	{"scoreboard", "shmcache"},
	// The status page, ping, php-fpm's formats and the metrics collector.
	{"status"},
	// The access log: what the process manager's transports fill.
	{"pm/accesslog"},
	// The process manager, its directives and its logs.
	{"pm"},
	// php-fpm.conf files, read into pm's Config by pm's directives.
	{"pm/fpmconf"},
	// Programs and what ships beside them.
	{"cmd", "bench", "contrib"},
}

// testOnly are the packages for tests: a test may import them from any
// layer, a program never (they import package testing).
var testOnly = []string{"internal/testproc", "internal/fcgi/fcgitest"}

// confined names the third-party modules only one part of fpmshm may
// import, so that a program that does not use that part does not link them.
// Tests are free to import them, to check what the part produces.
var confined = []struct {
	module string
	// owners are the packages allowed to import module, exactly.
	owners []string
}{
	// The prometheus.Collector: a program that runs pm and never exports
	// metrics does not link client_golang.
	{"github.com/prometheus/client_golang", []string{"status/promcollector"}},
	// php-fpm.conf files: a program that builds its Config itself does not
	// link the INI parser.
	{"gopkg.in/ini.v1", []string{"pm/fpmconf"}},
}

// pkg is what go list -json says of a package, as far as this test reads it.
type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Error        *struct{ Err string }
}

// TestLayers checks every import of every package of the module, for each
// system whose files differ (build constraints select other files).
func TestLayers(t *testing.T) {
	goTool := testproc.NeedBinary(t, "go")
	for _, goos := range []string{"linux", "darwin", "freebsd"} {
		pkgs := listPackages(t, goTool, goos)
		for _, p := range pkgs {
			for _, problem := range importProblems(p) {
				t.Errorf("GOOS=%s: %s", goos, problem)
			}
		}
	}
}

// listPackages runs go list -json on the whole module for goos.
func listPackages(t *testing.T, goTool, goos string) []pkg {
	t.Helper()
	cmd := exec.Command(goTool, "list", "-e", "-json=ImportPath,Imports,TestImports,XTestImports,Error", module+"/...")
	cmd.Env = append(os.Environ(), "GOOS="+goos, "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("GOOS=%s go list: %v\n%s", goos, err, stderr.Bytes())
	}
	var pkgs []pkg
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("GOOS=%s go list: decoding its output: %v", goos, err)
		}
		if p.Error != nil {
			t.Fatalf("GOOS=%s go list: %s: %s", goos, p.ImportPath, p.Error.Err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatalf("GOOS=%s go list listed no package of %s", goos, module)
	}
	return pkgs
}

// importProblems returns what is wrong with p's imports, one line each.
func importProblems(p pkg) []string {
	from, ok := strings.CutPrefix(p.ImportPath, module+"/")
	if !ok {
		from = "" // the module's root package
	}
	var problems []string
	fromLayer := layerOf(from)
	if fromLayer < 0 {
		problems = append(problems, fmt.Sprintf("%s is in no layer: place it in layers", from))
	}
	check := func(imp string, test bool) {
		kind := "imports"
		if test {
			kind = "imports in its tests"
		}
		for _, c := range confined {
			if (imp == c.module || strings.HasPrefix(imp, c.module+"/")) && !test && !slices.Contains(c.owners, from) {
				problems = append(problems, fmt.Sprintf("%s imports %s, which only %s may import", from, imp, strings.Join(c.owners, " or ")))
			}
		}
		to, ok := strings.CutPrefix(imp, module+"/")
		if !ok || to == from {
			return
		}
		if slices.Contains(testOnly, to) {
			if !test {
				problems = append(problems, fmt.Sprintf("%s imports %s, which is for tests only", from, to))
			}
			return
		}
		if toLayer := layerOf(to); fromLayer >= 0 && toLayer > fromLayer {
			problems = append(problems, fmt.Sprintf("%s (layer %d) %s %s (layer %d): an arrow up", from, fromLayer, kind, to, toLayer))
		}
	}
	for _, imp := range p.Imports {
		check(imp, false)
	}
	for _, imp := range slices.Concat(p.TestImports, p.XTestImports) {
		check(imp, true)
	}
	return problems
}

// layerOf returns the index of the layer whose longest entry covers path,
// or -1 if none does.
func layerOf(path string) int {
	layer, longest := -1, -1
	for i, entries := range layers {
		for _, e := range entries {
			if (path == e || strings.HasPrefix(path, e+"/")) && len(e) > longest {
				layer, longest = i, len(e)
			}
		}
	}
	return layer
}

func TestMain(m *testing.M) { testproc.Main(m) }
