package pm

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// limitsSupported: Linux sets a worker's limits from the master.
const limitsSupported = true

// startNiced starts cmd with the nice value process.priority asks. Linux
// keeps a nice value per thread, and a new process takes its parent
// thread's: the thread that forks the worker takes the worker's value for
// the time of the fork, and its own back after, so that every thread the
// worker's runtime starts has it from the first.
func (l processLimits) startNiced(cmd *exec.Cmd) error {
	if !l.setPriority {
		return cmd.Start()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := unix.Gettid()
	raw, err := unix.Getpriority(unix.PRIO_PROCESS, tid)
	if err != nil {
		return fmt.Errorf("read the master's priority: %w", err)
	}
	own := 20 - raw // the system call's value is 20 - nice
	if err := unix.Setpriority(unix.PRIO_PROCESS, tid, l.priority); err != nil {
		return fmt.Errorf("unable to set priority %d (process.priority) for a new worker: %w", l.priority, err)
	}
	startErr := cmd.Start()
	if err := unix.Setpriority(unix.PRIO_PROCESS, tid, own); err != nil && startErr == nil {
		startErr = fmt.Errorf("restore the master's priority %d after starting a worker: %w", own, err)
		cmd.Process.Kill()
		cmd.Wait()
	}
	return startErr
}

// setRlimits sets the worker pid's RLIMIT_NOFILE and RLIMIT_CORE (prlimit).
func (l processLimits) setRlimits(pid int) error {
	if l.files != 0 {
		lim := unix.Rlimit{Cur: l.files, Max: l.files}
		if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &lim, nil); err != nil {
			return fmt.Errorf("failed to set rlimit_files for this pool. Please check your system limits or decrease rlimit_files. setrlimit(RLIMIT_NOFILE, %d): %w", l.files, err)
		}
	}
	if l.setCore {
		lim := unix.Rlimit{Cur: l.core, Max: l.core}
		if err := unix.Prlimit(pid, unix.RLIMIT_CORE, &lim, nil); err != nil {
			return fmt.Errorf("failed to set rlimit_core for this pool. Please check your system limits or decrease rlimit_core. setrlimit(RLIMIT_CORE, %d): %w", l.core, err)
		}
	}
	return nil
}

// takeForMaster sets the limits on this process, the master: its resource
// limits, and its nice value in every thread it has. Linux keeps one per
// thread, and a new thread takes its creator's: the threads are set until
// a pass over them finds none it had not set (the runtime may start one
// from a thread not yet set meanwhile).
func (l processLimits) takeForMaster() error {
	if err := l.setRlimits(0); err != nil {
		return err
	}
	if !l.setPriority {
		return nil
	}
	set := map[int]bool{}
	for pass := 0; ; pass++ {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return fmt.Errorf("list the master's threads to set process.priority: %w", err)
		}
		found := false
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil || set[tid] {
				continue
			}
			found = true
			if err := unix.Setpriority(unix.PRIO_PROCESS, tid, l.priority); err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("unable to set priority %d (process.priority) for the master: %w", l.priority, err)
			}
			set[tid] = true
		}
		if !found {
			return nil
		}
		if pass == 100 { // the runtime starts a handful of threads, not an endless stream
			return fmt.Errorf("set process.priority %d for the master: its threads kept multiplying", l.priority)
		}
	}
}
