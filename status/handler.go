package status

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/fpmshm/fpmshm/scoreboard"
	"github.com/fpmshm/fpmshm/status/internal/series"
)

// Source gives the status page its data.
type Source interface {
	// Snapshot returns a consistent copy of the pool's scoreboard; with
	// full, its Procs hold the used process slots.
	Snapshot(full bool) (scoreboard.Snapshot, error)
}

// SourceFunc adapts a function to a Source.
type SourceFunc func(full bool) (scoreboard.Snapshot, error)

// Snapshot calls f(full).
func (f SourceFunc) Snapshot(full bool) (scoreboard.Snapshot, error) { return f(full) }

// errNoSource is what a Handler without a Source reports.
var errNoSource = errors.New("status: no source")

// errInvalidCounts is reported for a snapshot with negative idle or active
// counts, which php-fpm refuses too ("invalid status values").
var errInvalidCounts = errors.New("status: invalid status values")

// Handler serves php-fpm's status page (pm.status_path) from a Source, in
// the format the query string asks for (see ParseQuery), with php-fpm's
// headers. It answers whatever path and method it is mounted on; HEAD gets
// the headers alone. When the Source fails, or gives negative idle or
// active counts, it answers 500 with php-fpm's text and logs the error.
type Handler struct {
	Source   Source
	Version  Version        // the field set; zero means PHP84
	Location *time.Location // the time zone of text and HTML times; see Options

	// PHPHeaderCase sends "Content-type" where php-fpm does (text, HTML,
	// XML, errors, ping) instead of Go's canonical "Content-Type". Header
	// names are case-insensitive in HTTP and FastCGI, so this matters only
	// to a client that compares them byte for byte; leave it off when Go
	// middleware reads the response's Content-Type.
	PHPHeaderCase bool

	// Logger receives the Source's errors; nil means slog.Default().
	Logger *slog.Logger
}

// ServeHTTP answers one status request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := ParseQuery(r.URL.RawQuery)
	snap, err := h.snapshot(q.Full)
	if err != nil {
		h.logger().Error("status: unable to find or access status shared memory", "err", err)
		writeError(w, r, h.PHPHeaderCase)
		return
	}
	setHeaders(w.Header(), q.Format.ContentType(), h.PHPHeaderCase)
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	opts := Options{Format: q.Format, Full: q.Full, Version: h.Version, Refresh: q.Refresh, Location: h.Location}
	if q.Format == OpenMetrics {
		opts.Caches = cacheStats(h.Source)
	}
	if err := Render(w, snap, opts); err != nil {
		h.logger().Debug("status: write reply", "err", err)
	}
}

func (h *Handler) snapshot(full bool) (scoreboard.Snapshot, error) {
	if h.Source == nil {
		return scoreboard.Snapshot{}, errNoSource
	}
	snap, err := h.Source.Snapshot(full)
	if err != nil {
		return snap, err
	}
	if !series.ValidCounts(snap.Pool) {
		return snap, fmt.Errorf("%w: pool %s: idle %d, active %d", errInvalidCounts, snap.Pool.Name, snap.Pool.Idle, snap.Pool.Active)
	}
	return snap, nil
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// writeError sends php-fpm's 500 reply.
func writeError(w http.ResponseWriter, r *http.Request, phpCase bool) {
	setHeaders(w.Header(), Text.ContentType(), phpCase)
	w.WriteHeader(http.StatusInternalServerError)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(errorBody))
	}
}
