package pm

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// Reopening the logs in place (SIGUSR1, after a log rotation). The master
// opens error_log, access.log and the slowlog anew at their paths, as it
// opened them at its start, and sends each worker its descriptors of the
// new files on the worker's own socket (SCM_RIGHTS, see sys.PacketPair). The worker
// puts each in place of the descriptor it writes to (dup2): its error log
// (its standard error, or with catch_workers_output the master's error log
// handed to it), its access log, its slowlog. Its next line goes to the new file;
// no worker is restarted and no counter reset. The files are opened by
// the master alone, as at the start, so a worker running as another user
// (user, group) needs no right to them, and no file is created with its
// owner. A worker started later is handed the new files from its start.

// The names of the logs in a message on the logs socket: its body is
// their names, comma-separated, in the order of its descriptors.
const (
	logError   = "error"
	logAccess  = "access"
	logSlowlog = "slowlog"
)

// maxLogs is the most descriptors a message carries: one of each log.
const maxLogs = 3

// logsSocket returns the two ends of a new worker's logs socket: the
// master's, and the worker's, to hand over.
func logsSocket() (mine, theirs *os.File, err error) {
	a, b, err := sys.PacketPair()
	if err != nil {
		return nil, nil, fmt.Errorf("make the socket to send its logs on: %w", err)
	}
	return os.NewFile(uintptr(a), "fpmshm-logs"), os.NewFile(uintptr(b), "fpmshm-logs-worker"), nil
}

// workerProcess is a worker started by execSpawner: its process, and the
// master's end of its logs socket, closed once it has been waited for.
type workerProcess struct {
	*os.Process
	logs *os.File
}

// logsTaker is a worker that can be sent its logs anew.
type logsTaker interface {
	sendLogs(names string, fds []int) error
}

// sendLogs sends the worker the descriptors fds of the logs names, without
// waiting: a worker that has not read the last ones yet gets an error.
func (p *workerProcess) sendLogs(names string, fds []int) error {
	rc, err := p.logs.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Write(func(fd uintptr) bool {
		serr = sys.SendRights(int(fd), []byte(names), fds)
		return true
	}); err != nil {
		return err
	}
	return serr
}

// reopenLogFiles opens error_log, the access log and the slowlog anew at
// their paths and has every worker write to the new files. A log that
// cannot be opened is logged and stays as it was; the others are reopened.
func (m *master) reopenLogFiles() {
	c := m.cfg
	if c.ErrorLog == "" && c.AccessLog == "" && c.Slowlog == "" {
		m.log.Info("SIGUSR1: no error_log, access.log or slowlog: nothing to reopen")
		return
	}
	var names []string
	var fds []int
	if c.ErrorLog != "" {
		if err := redirectStderr(c.ErrorLog); err != nil {
			m.log.Error("unable to reopen the error log", "err", err)
		} else {
			m.log.Info("error log file re-opened")
			names, fds = append(names, logError), append(fds, 2)
		}
	}
	for _, l := range []struct {
		name, directive, path, reopened string
		f                               **os.File
	}{
		{logAccess, "access.log", c.AccessLog, "access log file re-opened", &m.set.access}, // php-fpm's words
		{logSlowlog, "slowlog", c.Slowlog, "slowlog file re-opened", &m.set.slowlog},
	} {
		if l.path == "" {
			continue
		}
		f, err := openLog(l.path)
		if err != nil {
			m.log.Error(fmt.Sprintf("unable to reopen the %s %s; the workers write to the file they have", l.directive, l.path), "err", err)
			continue
		}
		if *l.f != nil {
			(*l.f).Close()
		}
		*l.f = f
		names, fds = append(names, l.name), append(fds, int(f.Fd()))
		m.log.Info(l.reopened)
	}
	if len(fds) == 0 {
		return
	}
	msg := strings.Join(names, ",")
	for _, k := range m.kids {
		if t, ok := k.proc.(logsTaker); ok {
			if err := t.sendLogs(msg, fds); err != nil {
				m.log.Warn(fmt.Sprintf("child %d: unable to hand over the reopened logs; it writes to the old files", k.pid), "err", err)
			}
		}
	}
}

// takeLogs puts each log the master sends on the logs socket fd in place of
// this worker's: the error log, the access log and the slowlog at the
// descriptors errorLog, access and slowlog (-1: the worker has none). It returns
// when the socket ends or fails: the master is gone (where the socket is a
// datagram one, it waits until the worker exits). A message that does not read
// as the master writes them is logged and its descriptors closed.
func takeLogs(fd, errorLog, access, slowlog int, log *slog.Logger) {
	syscall.CloseOnExec(fd)
	f := os.NewFile(uintptr(fd), "fpmshm-logs")
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		log.Error("take up the socket the master sends reopened logs on", "err", err)
		return
	}
	defer c.Close()
	uc, ok := c.(*net.UnixConn)
	if !ok {
		log.Error("the socket the master sends reopened logs on is not a unix socket")
		return
	}
	targets := map[string]struct {
		fd      int
		cloexec bool
	}{logError: {errorLog, errorLog != 2}, logAccess: {access, true}, logSlowlog: {slowlog, true}}
	buf, oob := make([]byte, 64), make([]byte, sys.RightsSpace(maxLogs))
	for {
		n, oobn, _, _, err := uc.ReadMsgUnix(buf, oob)
		if err != nil || (n == 0 && oobn == 0) { // the master's end is closed
			return
		}
		fds, err := sys.ParseRights(oob[:oobn])
		names := strings.Split(string(buf[:n]), ",")
		if err != nil || len(fds) != len(names) {
			for _, fd := range fds {
				syscall.Close(fd)
			}
			log.Error("a message on the logs socket is not the master's", "names", string(buf[:n]), "descriptors", len(fds), "err", err)
			continue
		}
		for i, name := range names {
			t, ok := targets[name]
			if !ok || t.fd < 0 {
				syscall.Close(fds[i])
				continue
			}
			if err := sys.Replace(fds[i], t.fd, t.cloexec); err != nil {
				log.Error("put the reopened "+name+" log in place", "err", err)
			}
		}
	}
}
