package testproc

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

// envLeak makes TestLeaksOnPurpose leak, in the run TestMainReportsLeak
// starts.
const envLeak = "FPMSHM_TEST_LEAK"

// TestLeaksOnPurpose opens a file and keeps it open, when asked to.
func TestLeaksOnPurpose(t *testing.T) {
	if os.Getenv(envLeak) == "" {
		t.Skip("only in the run that TestMainReportsLeak starts")
	}
	if _, err := os.Open(os.DevNull); err != nil {
		t.Fatal(err)
	}
}

// TestMainReportsLeak runs this test binary's tests twice, once with a
// test that leaves a descriptor open: that run fails, naming it; the other
// passes.
func TestMainReportsLeak(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []bool{false, true} {
		cmd := exec.Command(exe, "-test.run=^TestLeaksOnPurpose$")
		cmd.Env = os.Environ()
		if leak {
			cmd.Env = append(cmd.Env, envLeak+"=1")
		}
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		switch {
		case !leak && err != nil:
			t.Fatalf("run without a leak: %v\n%s", err, out)
		case leak && (!errors.As(err, &exit) || exit.ExitCode() != 1):
			t.Fatalf("run with a leak: %v, want exit status 1\n%s", err, out)
		case leak && !strings.Contains(string(out), "tests leaked file descriptors") || leak && !strings.Contains(string(out), "-> "+os.DevNull):
			t.Fatalf("run with a leak does not name %s:\n%s", os.DevNull, out)
		}
	}
}

// TestEveryTestMain checks that every package of the module that has tests
// runs them through Main, so that each checks for leaked descriptors.
func TestEveryTestMain(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	tested := map[string]bool{} // directories with tests -> whether a TestMain calls Main
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); path != root && err == nil {
				return filepath.SkipDir // another module, as the go command sees it
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		dir := filepath.Dir(path)
		calls, err := testMainCallsMain(path)
		if err != nil {
			return err
		}
		tested[dir] = tested[dir] || calls
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for dir, ok := range tested {
		if !ok {
			rel, _ := filepath.Rel(root, dir)
			missing = append(missing, rel)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("packages whose tests do not run through testproc.Main (add main_test.go: func TestMain(m *testing.M) { testproc.Main(m) }):\n  %s", strings.Join(missing, "\n  "))
	}
	if len(tested) < 2 {
		t.Fatalf("found tests in only %d directories under %s", len(tested), root)
	}
}

// testMainCallsMain reports whether the test file at path declares a
// TestMain that calls testproc.Main (Main, inside this package).
func testMainCallsMain(path string) (bool, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		return false, err
	}
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "TestMain" || fn.Recv != nil || fn.Body == nil {
			continue
		}
		found := false
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return !found
			}
			switch f := call.Fun.(type) {
			case *ast.SelectorExpr:
				if x, ok := f.X.(*ast.Ident); ok && x.Name == "testproc" && f.Sel.Name == "Main" {
					found = true
				}
			case *ast.Ident:
				if f.Name == "Main" && filepath.Base(filepath.Dir(path)) == "testproc" {
					found = true
				}
			}
			return !found
		})
		if found {
			return true, nil
		}
	}
	return false, nil
}

// moduleRoot returns the directory of the go.mod above the working
// directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
