package pm

import (
	"log/slog"
	"net/http"

	"github.com/fpmshm/fpmshm/status"
)

// router routes a request by its SCRIPT_NAME, as PHP-FPM does: the status
// page and ping by exact match, everything else to next.
type router struct {
	statusPath string
	status     http.Handler // nil without pm.status_path
	pingPath   string
	ping       http.Handler // nil without ping.path
	next       http.Handler
}

// newRouter serves cfg's status page, with the snapshots of src, and its
// ping, and passes every other request to next.
func newRouter(cfg *workerConfig, src status.Source, log *slog.Logger, next http.Handler) *router {
	rt := &router{statusPath: cfg.StatusPath, pingPath: cfg.PingPath, next: next}
	if cfg.StatusPath != "" {
		rt.status = &status.Handler{Source: src, Logger: log, Version: cfg.StatusVersion}
	}
	if cfg.PingPath != "" {
		rt.ping = status.Ping(cfg.PingResponse)
	}
	return rt
}

// serve serves a request whose SCRIPT_NAME is scriptName.
func (rt *router) serve(w http.ResponseWriter, r *http.Request, scriptName string) {
	switch {
	case rt.status != nil && scriptName == rt.statusPath:
		rt.status.ServeHTTP(w, r)
	case rt.ping != nil && scriptName == rt.pingPath:
		rt.ping.ServeHTTP(w, r)
	default:
		rt.next.ServeHTTP(w, r)
	}
}
