package pm

import (
	"fmt"
	"os/exec"
	"strings"
)

// processLimits are the limits a pool sets on each of its workers:
// rlimit_files, rlimit_core and process.priority.
type processLimits struct {
	files       uint64 // RLIMIT_NOFILE, soft and hard; 0: the master's
	core        uint64 // RLIMIT_CORE when setCore; rlimitUnlimited for unlimited
	setCore     bool
	priority    int // the nice value when setPriority
	setPriority bool
}

// processLimits resolves c's limits for a master running as euid, adding
// to notices those it ignores: process.priority unless root, as PHP-FPM,
// and every limit where the system cannot set them on a worker.
func (c *Config) processLimits(euid int, notices []string) (processLimits, []string) {
	var l processLimits
	l.files = uint64(c.RlimitFiles)
	if c.RlimitCore != "" {
		l.core, _ = rlimitValue(c.RlimitCore) // validated
		l.setCore = true
	}
	if c.ProcessPriority != "" {
		l.priority, _ = priorityValue(c.ProcessPriority)
		l.setPriority = true
		if euid != 0 {
			notices = append(notices, fmt.Sprintf("[pool %s] 'process.priority' directive is ignored when FPM is not running as root", c.Pool))
			l.setPriority = false
		}
	}
	if (l.files != 0 || l.setCore || l.setPriority) && !limitsSupported {
		notices = append(notices, fmt.Sprintf("[pool %s] rlimit_files, rlimit_core and process.priority are not applied on this system; ignored", c.Pool))
		l = processLimits{}
	}
	return l, notices
}

// masterLimits resolves the master's own limits, [global] rlimit_files,
// rlimit_core and process.priority, as processLimits does a pool's.
func (c *Config) masterLimits(euid int) (processLimits, []string) {
	pool := Config{Pool: "global", RlimitFiles: c.MasterRlimitFiles, RlimitCore: c.MasterRlimitCore, ProcessPriority: c.MasterProcessPriority}
	l, notices := pool.processLimits(euid, nil)
	for i, n := range notices {
		notices[i] = strings.Replace(n, "[pool global] ", "", 1)
	}
	return l, notices
}

// start starts cmd with the limits: its nice value from its first
// instruction, its resource limits set as soon as it runs. A limit that
// cannot be set stops the worker, as it stops a PHP-FPM child.
func (l processLimits) start(cmd *exec.Cmd) error {
	if err := l.startNiced(cmd); err != nil {
		return err
	}
	if err := l.setRlimits(cmd.Process.Pid); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return err
	}
	return nil
}
