package pm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
	"github.com/fpmshm/fpmshm/pm/errorlog"
	"github.com/fpmshm/fpmshm/scoreboard"
	"github.com/fpmshm/fpmshm/shm"
	"golang.org/x/sys/unix"
)

func init() { testproc.Register("pool", helperPool) }

// envTestSyslog, set for helperPool, is the socket it sends syslog to.
const envTestSyslog = "FPMSHM_TEST_SYSLOG"

// envPHPLog, set, makes helperPool log in php-fpm's format (errorlog).
const envPHPLog = "FPMSHM_TEST_PHPLOG"

// helperPool runs pm.Run with the Config given as JSON in args[0] and
// testHandler; the same helper is the master and, re-executed, the workers.
// With $FPMSHM_TEST_OWN_SERVER set, the master also serves its own mux
// there (serveOwnMux).
func helperPool(args []string) int {
	var cfg Config
	if err := json.Unmarshal([]byte(args[0]), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "helper pool:", err)
		return 2
	}
	level := slog.LevelWarn
	if os.Getenv("FPMSHM_TEST_VERBOSE") != "" {
		level = slog.LevelDebug
	}
	if p := os.Getenv(envTestSyslog); p != "" {
		syslogPath = p
	}
	if cfg.LogFormat == "" { // a pool that names its log format has the error log Run makes
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
		if os.Getenv(envPHPLog) != "" {
			cfg.Logger = slog.New(errorlog.NewHandler(os.Stderr, nil))
		}
	}
	if sock := os.Getenv(envOwnServer); sock != "" {
		cfg.OnStart = serveOwnMux(sock)
	}
	if err := Run(context.Background(), cfg, testHandler()); err != nil {
		fmt.Fprintln(os.Stderr, "helper pool:", err)
		return 1
	}
	return 0
}

// testHandler answers "ok <pid>" (or, at /cache, what cacheHandler
// answers), after sleeping for ?d=DURATION, using
// ?spin=DURATION of CPU time (X-Spin-Percent says what share of its wall
// time the spin had), allocating ?alloc=BYTES and writing ?say=TEXT to its
// standard error (?spew=N: N bytes without a newline). With ?stream, it reads the body first, writing and
// flushing "MiB n" as each MiB of it arrives. With ?wait=ctx&mark=PATH it
// reads the body, waits up to 20s for the request's context to be
// cancelled, and writes what it saw to PATH. ?inheritable answers, instead
// of "ok", the descriptors above 2 that a program the handler started
// would inherit (those without FD_CLOEXEC), one per line.
func testHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d, err := time.ParseDuration(r.URL.Query().Get("d")); err == nil {
			time.Sleep(d)
		}
		if r.URL.Path == "/cache" {
			cacheHandler(w, r)
			return
		}
		if r.URL.Query().Has("stream") {
			streamBody(w, r)
		}
		if q := r.URL.Query(); q.Get("wait") == "ctx" {
			_, err := io.ReadAll(r.Body)
			seen := "not cancelled"
			select {
			case <-r.Context().Done():
				seen = "cancelled"
			case <-time.After(20 * time.Second):
			}
			os.WriteFile(q.Get("mark"), []byte(fmt.Sprintf("%s: %v (body: %v)", seen, r.Context().Err(), err)), 0o644)
		}
		if r.URL.Query().Has("inheritable") {
			for _, fd := range inheritableFDs() {
				fmt.Fprintln(w, fd)
			}
			return
		}
		if r.URL.Query().Has("hijack") {
			tryHijack(w)
		}
		if d, err := time.ParseDuration(r.URL.Query().Get("spin")); err == nil {
			w.Header().Set("X-Spin-Percent", strconv.FormatFloat(spin(d), 'f', 2, 64))
		}
		if n, err := strconv.Atoi(r.URL.Query().Get("alloc")); err == nil {
			allocate(n)
		}
		if say := r.URL.Query().Get("say"); say != "" {
			fmt.Fprintln(os.Stderr, say)
		}
		if n, err := strconv.Atoi(r.URL.Query().Get("spew")); err == nil {
			spew(n)
		}
		fmt.Fprintf(w, "ok %d", os.Getpid())
	})
}

// spew writes n bytes of 'x' to the standard error, with no newline.
func spew(n int) {
	chunk := strings.Repeat("x", 64<<10)
	for n > 0 {
		k := min(n, len(chunk))
		os.Stderr.WriteString(chunk[:k])
		n -= k
	}
}

// streamBody reads r's body, writing and flushing "MiB n" to w as each
// MiB arrives, then "total n".
func streamBody(w http.ResponseWriter, r *http.Request) {
	buf := make([]byte, 32<<10)
	total := 0
	for {
		n, err := r.Body.Read(buf)
		if total>>20 != (total+n)>>20 {
			fmt.Fprintf(w, "MiB %d\n", (total+n)>>20)
			w.(http.Flusher).Flush()
		}
		total += n
		if err != nil {
			break
		}
	}
	fmt.Fprintf(w, "total %d\n", total)
}

// tryHijack asks for w's connection; it writes "hijack refused" when it
// is refused with http.ErrNotSupported, and answers on the connection
// itself, "hijacked", when it is not.
func tryHijack(w http.ResponseWriter) {
	c, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		c.Write([]byte("HTTP/1.0 200 OK\r\nConnection: close\r\n\r\nhijacked"))
		c.Close()
		return
	}
	if errors.Is(err, http.ErrNotSupported) {
		fmt.Fprintln(w, "hijack refused")
	}
}

// testPool is a master started by a test, with an HTTP client for its
// unix socket and a read-only view of its scoreboard.
type testPool struct {
	t      *testing.T
	cmd    *exec.Cmd
	cfg    Config
	client *http.Client
	board  *scoreboard.Board
	exited chan error
}

// startPool starts a master for cfg, listening for HTTP on a unix socket
// in a temporary directory, and waits until its scoreboard can be read.
// The test's cleanup kills its whole process group.
func startPool(t *testing.T, cfg Config) *testPool {
	t.Helper()
	return startPoolFrom(t, cfg, "")
}

// start starts p's master: the test binary (or the one at exe, when
// set) as helper with arg, in a process group of its own, stopped when the
// test ends.
func (p *testPool) start(helper, arg, exe string) {
	p.t.Helper()
	p.cmd = testproc.Command(p.t, helper, arg)
	if exe != "" {
		p.cmd.Path, p.cmd.Args[0] = exe, exe
	}
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Under -race, each process sleeps a second as it exits unless told
	// not to: a stop that takes a second would take three.
	p.cmd.Env = append(p.cmd.Env, "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	p.t.Cleanup(p.cleanup)
}

// startPoolFrom is startPool running the test binary from path exe, or
// from where it is when exe is empty.
func startPoolFrom(t *testing.T, cfg Config, exe string) *testPool {
	t.Helper()
	dir := t.TempDir()
	cfg.HTTPListen = filepath.Join(dir, "http.sock")
	if cfg.Listen == "" {
		cfg.Listen = filepath.Join(dir, "fcgi.sock")
	}
	cfg.PingPath, cfg.StatusPath = "/ping", "/status"
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := &testPool{t: t, cfg: cfg, exited: make(chan error, 1)}
	p.start("pool", string(b), exe)
	p.client = &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DisableKeepAlives: true,
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", cfg.HTTPListen)
			},
		},
	}
	p.waitFor("the socket", 10*time.Second, func() bool {
		_, err := os.Stat(cfg.HTTPListen)
		return err == nil
	})
	// The master binds its sockets before it makes the scoreboard.
	// It may be found before it is laid out: then it is opened again.
	p.waitFor("the scoreboard", 10*time.Second, func() bool {
		seg, err := shm.Attach(p.cmd.Process.Pid, scoreboard.SegmentName(defaults.Pool), false)
		if err != nil {
			if !errors.Is(err, shm.ErrNotFound) {
				t.Fatalf("attach the scoreboard: %v", err)
			}
			return false
		}
		if p.board, err = scoreboard.Open(seg); err != nil {
			seg.Free()
			return false
		}
		return true
	})
	return p
}

// cleanup kills every process of the pool's group and releases the rest.
func (p *testPool) cleanup() {
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.t.Errorf("the master did not exit after SIGKILL")
	}
	p.client.CloseIdleConnections()
	if p.board != nil {
		p.board.Close()
	}
}

// get requests path over HTTP and returns the status and body.
func (p *testPool) get(path string) (int, string, error) {
	resp, err := p.client.Get("http://pool" + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// snap reads the scoreboard.
func (p *testPool) snap() scoreboard.Snapshot {
	p.t.Helper()
	s, err := p.board.Snapshot(true)
	if err != nil {
		p.t.Fatalf("snapshot: %v", err)
	}
	return s
}

// pids returns the pids in the used slots (0 for a slot whose worker has
// not started yet).
func (p *testPool) pids() []int {
	var pids []int
	for _, pr := range p.snap().Procs {
		pids = append(pids, pr.PID)
	}
	return pids
}

// waitFor polls cond every 50ms until it holds, failing after within or
// as soon as the master exits.
func (p *testPool) waitFor(what string, within time.Duration, cond func() bool) {
	p.t.Helper()
	held := testproc.Poll(within, 50*time.Millisecond, func() bool {
		select {
		case err := <-p.exited:
			p.exited <- err
			p.t.Fatalf("the master exited (%v) while waiting for %s", err, what)
		default:
		}
		return cond()
	})
	if !held {
		p.t.Fatalf("waited %v for %s", within, what)
	}
}

// waitProcs waits until the pool has n workers that have all started.
func (p *testPool) waitProcs(n int, within time.Duration) []int {
	p.t.Helper()
	var pids []int
	p.waitFor(fmt.Sprintf("%d started workers", n), within, func() bool {
		pids = p.pids()
		if len(pids) != n {
			return false
		}
		for _, pid := range pids {
			if pid == 0 {
				return false
			}
		}
		return true
	})
	return pids
}

// signal sends sig to the master.
func (p *testPool) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
}

// load runs clients concurrent loops of GET path until stop is closed,
// counting the answers that are not "200 ok" as failures.
type load struct {
	ok, failed atomic.Int64
	mu         sync.Mutex
	errs       []string
	pids       sync.Map // pids that answered
	wg         sync.WaitGroup
	stop       chan struct{}
}

func (p *testPool) startLoad(clients int, path string) *load {
	l := &load{stop: make(chan struct{})}
	for range clients {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				code, body, err := p.get(path)
				if err == nil && code == 200 && strings.HasPrefix(body, "ok ") {
					l.ok.Add(1)
					if pid, err := strconv.Atoi(body[3:]); err == nil {
						l.pids.Store(pid, true)
					}
					continue
				}
				l.failed.Add(1)
				l.mu.Lock()
				if len(l.errs) < 5 {
					l.errs = append(l.errs, fmt.Sprintf("%d %q %v", code, body, err))
				}
				l.mu.Unlock()
			}
		}()
	}
	return l
}

// end stops the load and waits for its clients.
func (l *load) end() {
	close(l.stop)
	l.wg.Wait()
}

// check fails the test if any request failed or none succeeded.
func (l *load) check(t *testing.T) {
	t.Helper()
	if l.failed.Load() > 0 || l.ok.Load() == 0 {
		t.Errorf("load: %d ok, %d failed; first failures: %v", l.ok.Load(), l.failed.Load(), l.errs)
	}
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return syscall.Kill(pid, 0) == nil && !errors.Is(err, os.ErrNotExist)
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

// fmtSscan reads the pid of an "ok <pid>" body.
func fmtSscan(body string, pid *int) (int, error) { return fmt.Sscanf(body, "ok %d", pid) }

// inheritableFDs returns the descriptors above 2 of this process that
// stay open across exec.
func inheritableFDs() []string {
	ents, _ := os.ReadDir("/proc/self/fd")
	var out []string
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd <= 2 {
			continue
		}
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err == nil && flags&unix.FD_CLOEXEC == 0 {
			target, _ := os.Readlink("/proc/self/fd/" + e.Name())
			out = append(out, e.Name()+" -> "+target)
		}
	}
	return out
}
