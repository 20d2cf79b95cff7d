package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

// TestStatusMatchesPage: "fpmshm status -full", read from shared memory,
// prints what the status page served a moment before, apart from the timing
// fields and from what the page's own request changes: the worker that
// served it was Running it then and is Idle after it, and the memory it
// used may have raised the pool's memory peak.
func TestStatusMatchesPage(t *testing.T) {
	fcgi := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	pidfile, _ := startServe(t, "-listen", fcgi, "-http", "", "-pm", "static", "-pm.max_children", "3")
	testproc.WaitUntil(t, "3 workers", 10*time.Second, func() bool {
		out, _, code := run(t, "status", "-pidfile", pidfile)
		return code == 0 && strings.Contains(out, "idle processes:       3\n")
	})
	for range 5 { // some history: requests, a last request per worker
		cgiFCGI(t, fcgi, "/index.php", "")
	}
	_, page := cgiFCGI(t, fcgi, "/status", "full")
	// The page's worker marks itself idle just after sending the page:
	// read once it has (nothing else changes the pool meanwhile).
	var out string
	testproc.WaitUntil(t, "the page's worker to be idle again", 5*time.Second, func() bool {
		var stderr string
		var code int
		out, stderr, code = run(t, "status", "-pidfile", pidfile, "-full")
		if code != 0 {
			t.Fatalf("fpmshm status: exit %d: %s", code, stderr)
		}
		return strings.Contains(out, "active processes:     0\n")
	})
	pagePool, pageProcs := splitStatus(t, page)
	cmdPool, cmdProcs := splitStatus(t, out)

	// The pool: the same, but for start since and the status request itself.
	adjust := map[string]func(string) string{
		"idle processes:":   func(v string) string { return strconv.Itoa(atoi(t, v) + 1) },
		"active processes:": func(v string) string { return strconv.Itoa(atoi(t, v) - 1) },
	}
	if len(pagePool) != len(cmdPool) {
		t.Fatalf("pool records differ in length:\npage:\n%s\nstatus:\n%s", page, out)
	}
	for i, line := range pagePool {
		k, v := splitField(line)
		switch {
		case k == "start since:":
			continue
		case k == "memory peak:": // the page's own request may raise it
			if atoi(t, v) > atoi(t, strings.TrimSpace(cmdPool[i][len(k):])) {
				t.Errorf("memory peak went down: page %q, status %q", line, cmdPool[i])
			}
			continue
		case adjust[k] != nil:
			line = k + strings.Repeat(" ", 22-len(k)) + adjust[k](v)
		}
		if line != cmdPool[i] {
			t.Errorf("pool field differs: page %q, status %q", line, cmdPool[i])
		}
	}

	// The processes: the same, but for timing fields, and the page's server.
	if len(pageProcs) != 3 || len(cmdProcs) != 3 {
		t.Fatalf("want 3 process records, page has %d, status %d", len(pageProcs), len(cmdProcs))
	}
	timing := regexp.MustCompile(`^(start since|request duration|last request cpu|last request memory):`)
	servers := 0
	for i := range pageProcs {
		if strings.Contains(strings.Join(pageProcs[i], "\n"), "state:                Running") {
			servers++
			if pageProcs[i][0] != cmdProcs[i][0] {
				t.Errorf("the page's server: pid %q, status %q", pageProcs[i][0], cmdProcs[i][0])
			}
			continue
		}
		for j, line := range pageProcs[i] {
			if timing.MatchString(line) {
				continue
			}
			if line != cmdProcs[i][j] {
				t.Errorf("process %d field differs: page %q, status %q", i, line, cmdProcs[i][j])
			}
		}
	}
	if servers != 1 {
		t.Errorf("%d workers Running on the status page, want 1 (the page's own request)", servers)
	}
}

// splitStatus splits a full plain-text status page into the pool's lines
// and each process's lines.
func splitStatus(t *testing.T, page string) ([]string, [][]string) {
	t.Helper()
	parts := strings.Split(page, "\n************************\n")
	pool := strings.Split(strings.TrimSpace(parts[0]), "\n")
	var procs [][]string
	for _, p := range parts[1:] {
		procs = append(procs, strings.Split(strings.TrimSpace(p), "\n"))
	}
	return pool, procs
}

func splitField(line string) (string, string) {
	k, v, _ := strings.Cut(line, ":")
	return k + ":", strings.TrimSpace(v)
}

func atoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}

// TestStatusFormats: the -json, -xml and -openmetrics flags pick the
// status page's formats; a missing master is an error.
func TestStatusFormats(t *testing.T) {
	pidfile, _ := startServe(t, "-listen", fmt.Sprintf("127.0.0.1:%d", freePort(t)), "-http", "", "-pm", "static", "-pm.max_children", "1")
	for flag, want := range map[string]string{
		"-json":        `{"pool":"www","process manager":"static",`,
		"-xml":         "<?xml version=\"1.0\" ?>\n<status>\n<pool>www</pool>",
		"-openmetrics": "# HELP phpfpm_up",
	} {
		out, stderr, code := run(t, "status", "-pidfile", pidfile, flag)
		if code != 0 || !strings.HasPrefix(out, want) {
			t.Errorf("status %s: exit %d, %q (stderr %q), want it to start with %q", flag, code, out, stderr, want)
		}
	}
	_, stderr, code := run(t, "status", "-pid", "999999999")
	if code != 1 || !strings.Contains(stderr, "999999999") {
		t.Errorf("status of a missing master: exit %d, %q", code, stderr)
	}
}

// TestServeRejectsUnknownDirective: a pool file with a directive fpmshm
// does not implement is refused, naming the file, line and directive, with
// php-fpm's exit code for a configuration it cannot load.
func TestServeRejectsUnknownDirective(t *testing.T) {
	file := filepath.Join(t.TempDir(), "www.conf")
	conf := "[www]\npm = static\npm.max_children = 2\nlisten.acl_users = www-data\n"
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := run(t, "serve", "-y", file, "-listen", "", "-http", "")
	want := file + ":4: [www] listen.acl_users: unknown directive"
	if code != exitConfig || !strings.Contains(stderr, want) {
		t.Errorf("serve -y with an unknown directive: exit %d, stderr %q; want %d and %q", code, stderr, exitConfig, want)
	}
}
