package pm

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"

	"github.com/fpmshm/fpmshm/status"
)

// statusServer answers pm.status_listen in the master itself: the status
// page and ping over FastCGI, readable when every worker is busy (PHP-FPM
// answers them from a hidden pool of its own). Each connection is served
// in a goroutine; the snapshots come from the master's loop, which alone
// touches its scoreboard table.
//
// The master often runs as root, so no client may grow it or hold it:
// at most statusMaxConns connections are served at once (the others wait
// in the kernel's listen queue), and each is bounded (see statusConn).
type statusServer struct {
	l     *listener
	serve func(w http.ResponseWriter, r *http.Request, scriptName string)
	log   *slog.Logger
	slots chan struct{} // one per connection being served

	mu     sync.Mutex
	conns  map[net.Conn]bool // being served
	closed bool
	wg     sync.WaitGroup
}

// statusMaxHeaderBytes bounds the parameters of a request to
// pm.status_listen: a status page or ping needs a few hundred bytes.
const statusMaxHeaderBytes = 64 << 10

// newStatusServer serves cfg's status page and ping on l, with the
// snapshots of src (the master's Source).
func newStatusServer(l *listener, cfg *Config, src status.Source, log *slog.Logger) *statusServer {
	pages := cfg.workerConfig()
	notFound := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "File not found.", http.StatusNotFound)
	})
	rt := newRouter(&pages, src, log, notFound)
	return &statusServer{l: l, serve: rt.serve, log: log, conns: map[net.Conn]bool{}, slots: make(chan struct{}, statusMaxConns)}
}

// startStatusServer binds cfg's pm.status_listen and serves it, with the
// snapshots of src, in a goroutine until close.
func startStatusServer(cfg *Config, src status.Source, log *slog.Logger) (*statusServer, error) {
	l, err := listen(kindFastCGI, cfg.StatusListen, cfg)
	if err != nil {
		return nil, err
	}
	s := newStatusServer(l, cfg, src, log)
	go s.run()
	log.Info("ready to handle status requests", "listen", l.addr, "protocol", l.kind)
	return s, nil
}

// run accepts and serves connections until close, no more than
// statusMaxConns at once: it accepts only when one of them is free.
func (s *statusServer) run() {
	for {
		s.slots <- struct{}{}
		c, err := s.l.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.log.Error("pm.status_listen: accept", "err", err)
			}
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = true
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			newFCGIServer(s.serve, newStages(nil), s.log, statusMaxHeaderBytes).serveConn(newStatusConn(c), func() bool { return false })
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			<-s.slots
		}()
	}
}

// close stops accepting, ends the connections being served and waits for
// their goroutines.
func (s *statusServer) close() {
	s.l.Close()
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}
