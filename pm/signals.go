package pm

import (
	"os"
	"syscall"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// waitStatus is what os.ProcessState.Sys returns on Unix.
type waitStatus = syscall.WaitStatus

// masterSignals are the signals the master handles, as PHP-FPM's master:
// SIGTERM and SIGINT stop at once, SIGQUIT stops gracefully, SIGUSR2
// reloads the configuration and the workers, SIGUSR1 reopens the access
// log (and replaces the workers, which hold it open). The master's own log
// goes to the standard error, which needs no reopening.
var masterSignals = []os.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2}

// signalName returns a signal's name ("SIGKILL").
func signalName(s syscall.Signal) string {
	if n := sys.SignalName(s); n != "" {
		return n
	}
	return s.String()
}
