package pm

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/fpmshm/fpmshm/pm/errorlog"
)

// workerOutput is how the master catches its workers' standard output and
// error (catch_workers_output): each is a pipe it reads, turning what
// comes into log lines as php-fpm does (errorlog.ChildOutput).
type workerOutput struct {
	pool     string
	decorate bool         // decorate_workers_output
	h        slog.Handler // the master's log, without the pool's attribute
}

// pipes makes the pipes of one worker's standard output and error: the
// write ends go to the worker, the read ends to relay.
func (o *workerOutput) pipes() (r, w [2]*os.File, err error) {
	for i, name := range []string{"output", "error"} {
		if r[i], w[i], err = os.Pipe(); err != nil {
			closeFiles(r[:i]...)
			closeFiles(w[:i]...)
			return r, w, fmt.Errorf("pipe for a worker's standard %s: %w", name, err)
		}
	}
	return r, w, nil
}

func closeFiles(fs ...*os.File) {
	for _, f := range fs {
		if f != nil {
			f.Close()
		}
	}
}

// relay logs what worker pid writes on its standard output and error, the
// read ends r, until both pipes close (the worker, and whatever it started
// that kept them, have exited), then closes them. What it holds is
// bounded: a read buffer per pipe and the line in progress, at most
// log_limit bytes.
func (o *workerOutput) relay(r [2]*os.File, pid int) {
	out := errorlog.NewChildOutput(o.h, o.pool, pid, o.decorate)
	var wg sync.WaitGroup
	for i, w := range []io.Writer{out.Stdout(), out.Stderr()} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer r[i].Close()
			io.Copy(w, r[i]) // ends at EOF; ChildOutput's writes never fail
		}()
	}
	wg.Wait()
	out.Close()
}
