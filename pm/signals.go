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
// reloads the configuration and the workers, SIGUSR1 reopens the logs
// (error_log, access.log, slowlog), which the workers take up in place.
var masterSignals = []os.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2}

// signalName returns a signal's name ("SIGKILL").
func signalName(s syscall.Signal) string {
	if n := sys.SignalName(s); n != "" {
		return n
	}
	return s.String()
}
