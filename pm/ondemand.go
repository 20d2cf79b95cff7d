package pm

import (
	"context"
	"time"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// demandPause is how long the watcher waits after reporting a waiting
// connection before it looks again, giving a new worker time to take it.
const demandPause = 20 * time.Millisecond

// watchDemand reports on demand each time a connection waits on one of
// the listening sockets (ondemand pm), as PHP-FPM's master watches its
// listening socket in its event loop. It polls the sockets' readability
// and never accepts.
func watchDemand(ctx context.Context, ls []*listener, demand chan<- struct{}) {
	fds := make([]int, len(ls))
	for i, l := range ls {
		fds[i] = int(l.file.Fd()) // a plain NewFile: Fd leaves the socket non-blocking
	}
	ready := make([]bool, len(fds))
	for ctx.Err() == nil {
		n, err := sys.PollIn(fds, 250*time.Millisecond, ready)
		if err != nil || n == 0 {
			continue
		}
		select {
		case demand <- struct{}{}:
		case <-ctx.Done():
			return
		}
		time.Sleep(demandPause)
	}
}
