package pm

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// openLog opens a log file as PHP-FPM opens its logs: for appending,
// created readable and writable by the master's user only. No path is no
// file.
func openLog(path string) (*os.File, error) {
	if path == "" {
		return nil, nil
	}
	return os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
}

// redirectStderr points this process's standard error, and so its log and
// the output of the workers it starts, at the file path (error_log),
// opened as openLog opens it. No path, or syslog, leaves it as it is.
func redirectStderr(path string) error {
	if path == ErrorLogSyslog {
		return nil
	}
	f, err := openLog(path)
	if err != nil || f == nil {
		return err
	}
	defer f.Close()
	if err := sys.Dup2(int(f.Fd()), 2); err != nil {
		return fmt.Errorf("send the standard error to error_log %s: %w", path, err)
	}
	return nil
}

// logNotices logs what the configuration ignores, as warnings.
func logNotices(log *slog.Logger, notices []string) {
	for _, n := range notices {
		log.Warn(n)
	}
}
