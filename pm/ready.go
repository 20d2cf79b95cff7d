package pm

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
)

// A worker says it is ready on a pipe all workers share with the master:
// its pid, as a line, once it takes SIGQUIT as a graceful stop. Until then
// the master keeps SIGQUIT from it (see master.quit): a Go program that
// gets SIGQUIT before it handles the signal prints every goroutine's stack
// and exits, and a worker can be retired (a reload) while it starts.

// sayReady tells the master, on the ready pipe's write end fd, that this
// worker is ready, and closes fd.
func sayReady(fd int) error {
	f := os.NewFile(uintptr(fd), "fpmshm-ready")
	defer f.Close()
	if _, err := fmt.Fprintf(f, "%d\n", os.Getpid()); err != nil {
		return fmt.Errorf("tell the master this worker is ready: %w", err)
	}
	return nil
}

// readReady passes on the pids the workers write on the ready pipe r until
// r is closed or done is. A line that is not a pid is skipped: the master
// only acts on the pids of its own workers.
func readReady(r *os.File, ready chan<- int, done <-chan struct{}) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		pid, err := strconv.Atoi(sc.Text())
		if err != nil {
			continue
		}
		select {
		case ready <- pid:
		case <-done:
			return
		}
	}
}
