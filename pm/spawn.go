package pm

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fpmshm/fpmshm/shm"
)

// process is a started worker as the master's decisions see it.
type process interface {
	Signal(sig os.Signal) error
}

// exitEvent reports that a worker process ended and was reaped.
type exitEvent struct {
	pid    int
	status waitStatus
	err    error // set if the process could not be waited for
}

// spawner starts worker processes. The master's logic sees process
// creation only through it, so its tests run without forking.
type spawner interface {
	// spawn starts the worker of slot in generation gen as s says; its
	// end is reported later as an exitEvent.
	spawn(slot, gen int, s *spawnSettings) (pid int, p process, err error)
}

// spawnSettings is how a configuration's workers are started.
type spawnSettings struct {
	worker   workerConfig        // handed to the worker (FPMSHM_CONFIG)
	env      []string            // env[NAME], as NAME=value with "$NAME" values expanded
	clearEnv bool                // clear_env: without the master's environment
	cred     *syscall.Credential // user and group; nil: the master's
	access   *os.File            // access.log, open for appending; nil without
	slowlog  *os.File            // slowlog, open for appending; nil without
	output   *workerOutput       // catch_workers_output; nil: the workers' output is discarded
	limits   processLimits       // rlimit_files, rlimit_core, process.priority
}

// close closes the master's descriptors of the logs; the workers keep
// theirs.
func (s *spawnSettings) close() {
	for _, f := range []*os.File{s.access, s.slowlog} {
		if f != nil {
			f.Close()
		}
	}
}

// spawnSettings resolves how c's workers are started by a master running
// as euid, and opens the access log and the slowlog. The notices say what
// it ignores (user and group, unless root).
func (c *Config) spawnSettings(euid int) (spawnSettings, []string, error) {
	cred, notices, err := workerCredential(c, euid)
	if err != nil {
		return spawnSettings{}, nil, err
	}
	s := spawnSettings{worker: c.workerConfig(), clearEnv: c.ClearEnv, cred: cred}
	if c.CatchWorkersOutput {
		s.output = &workerOutput{pool: c.Pool, decorate: !c.UndecoratedWorkersOutput, h: c.logger().Handler()}
	}
	s.limits, notices = c.processLimits(euid, notices)
	if s.access, err = openLog(c.AccessLog); err != nil {
		return spawnSettings{}, nil, fmt.Errorf("pool %s: open access.log: %w", c.Pool, err)
	}
	if s.slowlog, err = openLog(c.Slowlog); err != nil {
		s.close()
		return spawnSettings{}, nil, fmt.Errorf("pool %s: open slowlog: %w", c.Pool, err)
	}
	for _, name := range slices.Sorted(maps.Keys(c.Env)) {
		v := c.Env[name]
		if from, ok := strings.CutPrefix(v, "$"); ok {
			v = os.Getenv(from)
		}
		s.env = append(s.env, name+"="+v)
	}
	return s, notices, nil
}

// execSpawner re-executes the current program as a worker, handing it the
// listening sockets, the master pipe and the scoreboard segment.
type execSpawner struct {
	exe    string
	args   []string
	env    []string   // the environment without the hand-over variables
	files  []*os.File // the listening sockets, then the master pipe's read end and the ready pipe's write end
	listen string     // FPMSHM_LISTEN_FDS
	seg    *shm.Segment
	exits  chan<- exitEvent
}

// newExecSpawner prepares the hand-over of ls, the master pipe's read end,
// the ready pipe's write end and seg.
func newExecSpawner(ls []*listener, pipeR, readyW *os.File, seg *shm.Segment, exits chan<- exitEvent) (*execSpawner, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the program to run workers: %w", err)
	}
	s := &execSpawner{exe: exe, args: os.Args[1:], seg: seg, exits: exits}
	for _, kv := range os.Environ() {
		if !isHandoverVar(kv) {
			s.env = append(s.env, kv)
		}
	}
	var fds []inheritedFD
	for i, l := range ls {
		s.files = append(s.files, l.file)
		fds = append(fds, inheritedFD{l.kind, 3 + i})
	}
	s.listen = encodeListenFDs(fds)
	s.files = append(s.files, pipeR, readyW)
	return s, nil
}

func isHandoverVar(kv string) bool {
	for _, k := range handoverVars {
		if len(kv) > len(k) && kv[:len(k)] == k && kv[len(k)] == '=' {
			return true
		}
	}
	return false
}

func (s *execSpawner) spawn(slot, gen int, set *spawnSettings) (pid int, p process, err error) {
	cmd, err := s.command(slot, set)
	if err != nil {
		return 0, nil, err
	}
	logs, theirs, err := logsSocket()
	if err != nil {
		return 0, nil, fmt.Errorf("worker of slot %d: %w", slot, err)
	}
	defer theirs.Close() // the worker has its copy once started
	handOver(cmd, theirs, envLogsFD)
	var outR, outW [2]*os.File // catch_workers_output's pipes
	if set.output != nil {
		if outR, outW, err = set.output.pipes(); err != nil {
			logs.Close()
			return 0, nil, fmt.Errorf("worker of slot %d: %w", slot, err)
		}
		cmd.Stdout, cmd.Stderr = outW[0], outW[1]
		handOver(cmd, os.Stderr, envErrorLogFD) // the worker's own lines go to the error log, as a php-fpm child's
	}
	defer closeFiles(outW[:]...) // the worker has its copies once started
	defer func() {
		if err != nil {
			logs.Close()
			closeFiles(outR[:]...)
		}
	}()
	if err = s.seg.ShareWith(cmd); err != nil {
		return 0, nil, fmt.Errorf("hand the scoreboard to worker of slot %d: %w", slot, err)
	}
	if err = shareCaches(cmd, set.worker.Caches); err != nil {
		return 0, nil, fmt.Errorf("worker of slot %d: %w", slot, err)
	}
	if err = set.limits.start(cmd); err != nil {
		if set.cred != nil && errors.Is(err, syscall.EACCES) {
			return 0, nil, fmt.Errorf("start worker of slot %d as uid %d, gid %d (user, group): %w; that user must be able to read and execute %s", slot, set.cred.Uid, set.cred.Gid, err, s.exe)
		}
		return 0, nil, fmt.Errorf("start worker of slot %d: %w", slot, err)
	}
	pid = cmd.Process.Pid
	if set.output != nil {
		go set.output.relay(outR, pid)
	}
	go func() {
		e := exitEvent{pid: pid}
		err := cmd.Wait()
		logs.Close()
		e.err = err
		if cmd.ProcessState != nil {
			if ws, ok := cmd.ProcessState.Sys().(waitStatus); ok {
				e.status, e.err = ws, nil
			}
		}
		s.exits <- e
	}()
	return pid, &workerProcess{cmd.Process, logs}, nil
}

// command is the command of the worker of slot: the program re-executed,
// its environment and the descriptors it inherits (the listeners, the
// pipes to the master, the access log and the slowlog).
func (s *execSpawner) command(slot int, set *spawnSettings) (*exec.Cmd, error) {
	config, err := json.Marshal(set.worker)
	if err != nil {
		return nil, fmt.Errorf("encode the settings of worker of slot %d: %w", slot, err)
	}
	cmd := exec.Command(s.exe, s.args...)
	var env []string
	if !set.clearEnv {
		env = slices.Clip(s.env)
	}
	cmd.Env = append(append(env, set.env...),
		envWorker+"=1",
		envSlot+"="+strconv.Itoa(slot),
		envListenFDs+"="+s.listen,
		envParentFD+"="+strconv.Itoa(3+len(s.files)-2),
		envReadyFD+"="+strconv.Itoa(3+len(s.files)-1),
		envBoard+"="+s.seg.Name(),
		envConfig+"="+string(config),
	)
	cmd.ExtraFiles = slices.Clone(s.files)
	if set.access != nil {
		handOver(cmd, set.access, envAccessFD)
	}
	if set.slowlog != nil {
		handOver(cmd, set.slowlog, envSlowlogFD)
	}
	// Without catch_workers_output a worker writes to the master's
	// standard output and error: its own log lines reach the error log, as
	// a php-fpm child's do.
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: set.cred}
	dieWithMaster(cmd)
	return cmd, nil
}

// handOver has cmd inherit f, and tells it f's descriptor number in the
// environment variable env.
func handOver(cmd *exec.Cmd, f *os.File, env string) {
	cmd.ExtraFiles = append(cmd.ExtraFiles, f)
	cmd.Env = append(cmd.Env, env+"="+strconv.Itoa(3+len(cmd.ExtraFiles)-1))
}

// describeExit says how a worker ended, as PHP-FPM's log does, and
// whether that was a failure.
func describeExit(e exitEvent, lived time.Duration) (string, bool) {
	after := fmt.Sprintf("after %.6f seconds from start", lived.Seconds())
	switch ws := e.status; {
	case e.err != nil:
		return fmt.Sprintf("could not be waited for (%v) %s", e.err, after), true
	case ws.Signaled():
		return fmt.Sprintf("exited on signal %d (%s) %s", int(ws.Signal()), signalName(ws.Signal()), after), true
	default:
		return fmt.Sprintf("exited with code %d %s", ws.ExitStatus(), after), ws.ExitStatus() != 0
	}
}
