package pm

import (
	"os/exec"
	"syscall"
)

// dieWithMaster makes the kernel kill the worker (SIGKILL) when the thread
// that started it exits: the master spawns from one goroutine locked to
// its thread for the master's whole life, so that means when the master
// dies. The pipe the worker watches does the same job portably.
func dieWithMaster(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
