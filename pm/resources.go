package pm

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/fpmshm/fpmshm/scoreboard"
	"github.com/fpmshm/fpmshm/shm"
)

// masterResources is what a master opens before it runs its pool, each
// held here alone and closed by Close: the spawn settings (until the
// master's loop takes them), the listening sockets, the scoreboard and the
// shared caches, the master pipe and the ready pipe, the pid file.
type masterResources struct {
	log   *slog.Logger
	set   spawnSettings // how the workers are started, with the logs they append to
	ls    []*listener
	board *scoreboard.Board
	// caches: the pool's shared caches are made (see makeCaches).
	caches bool
	// pipeW is the master pipe's write end, only closed when the master
	// ends: the workers, holding pipeR, then see EOF.
	pipeR, pipeW *os.File
	// The ready pipe: the workers write their pids on readyW when ready.
	readyR, readyW *os.File
	exits          chan exitEvent // the workers that ended, as the spawner waits for them
	sp             *execSpawner
	pidFile        string // written; removed by Close
}

// openMaster opens what the master of cfg, validated, needs to run: it
// points the standard error at error_log, resolves and opens what the
// workers are started with, binds the sockets, creates the scoreboard and
// the caches, makes the pipes the workers share with the master and writes
// the pid file. On an error it closes what it opened.
func openMaster(cfg *Config) (_ *masterResources, err error) {
	if err := redirectStderr(cfg.ErrorLog); err != nil {
		return nil, fmt.Errorf("pool %s: open error_log: %w", cfg.Pool, err)
	}
	r := &masterResources{log: cfg.logger().With("pool", cfg.Pool)}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()
	set, notices, err := cfg.spawnSettings(os.Geteuid())
	if err != nil {
		return nil, err
	}
	r.set = set
	logNotices(r.log, append(cfg.Notices, notices...))
	if r.ls, err = openListeners(cfg); err != nil {
		return nil, err
	}
	boardCfg := scoreboard.Config{Pool: cfg.Pool, PM: cfg.PM, MaxChildren: cfg.MaxChildren, ListenQueueLen: queueLen(r.ls), NoDump: true}
	if r.board, err = scoreboard.New(boardCfg); err != nil {
		return nil, err
	}
	if err = makeCaches(cfg); err != nil {
		return nil, err
	}
	r.caches = true
	cfg.logger().Debug(fmt.Sprintf("%d bytes have been reserved in SHM", shm.Allocated()))
	if r.pipeR, r.pipeW, err = os.Pipe(); err != nil {
		return nil, fmt.Errorf("master pipe: %w", err)
	}
	if r.readyR, r.readyW, err = os.Pipe(); err != nil {
		return nil, fmt.Errorf("ready pipe: %w", err)
	}
	r.exits = make(chan exitEvent, cfg.MaxChildren)
	if r.sp, err = newExecSpawner(r.ls, r.pipeR, r.readyW, r.board.Segment(), r.exits); err != nil {
		return nil, err
	}
	if cfg.PIDFile != "" {
		if err = writePIDFile(cfg.PIDFile); err != nil {
			return nil, err
		}
		r.pidFile = cfg.PIDFile
	}
	return r, nil
}

// takeSettings hands the spawn settings over, with the closing of their
// logs: Close leaves them open from then on.
func (r *masterResources) takeSettings() spawnSettings {
	set := r.set
	r.set = spawnSettings{}
	return set
}

// Close closes what openMaster opened, the last opened first.
func (r *masterResources) Close() {
	if r.pidFile != "" {
		removePIDFile(r.pidFile)
	}
	for _, f := range []*os.File{r.readyW, r.readyR, r.pipeW, r.pipeR} {
		if f != nil {
			f.Close()
		}
	}
	if r.caches {
		closeCaches()
	}
	if r.board != nil {
		r.board.Close()
	}
	closeListeners(r.ls)
	r.set.close()
}

// openListeners binds the FastCGI and HTTP sockets.
func openListeners(cfg *Config) ([]*listener, error) {
	var ls []*listener
	for _, want := range []struct{ kind, addr string }{{kindFastCGI, cfg.Listen}, {kindHTTP, cfg.HTTPListen}} {
		if want.addr == "" {
			continue
		}
		l, err := listen(want.kind, want.addr, cfg)
		if err != nil {
			closeListeners(ls)
			return nil, err
		}
		ls = append(ls, l)
	}
	return ls, nil
}

func closeListeners(ls []*listener) {
	for _, l := range ls {
		l.Close()
	}
}

// queueLen is the length of the listen queues of ls together.
func queueLen(ls []*listener) uint64 {
	var n uint64
	for _, l := range ls {
		_, s := l.queue()
		n += s
	}
	return n
}

// writePIDFile writes this process's id to path.
func writePIDFile(path string) error {
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return fmt.Errorf("write pid file: %w", err)
	}
	return nil
}

// removePIDFile removes path if it still holds this process's id.
func removePIDFile(path string) {
	if pid, err := ReadPIDFile(path); err == nil && pid == os.Getpid() {
		os.Remove(path)
	}
}

// ReadPIDFile reads the process id a master wrote to path.
func ReadPIDFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read pid file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid < 1 {
		return 0, fmt.Errorf("pid file %s: %w", path, errors.Join(errBadPID, err))
	}
	return pid, nil
}

var errBadPID = errors.New("does not hold a process id")
