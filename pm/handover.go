package pm

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fpmshm/fpmshm/status"
)

// The hand-over protocol between the master and the workers it re-executes.
// A worker finds everything it needs in its environment:
//
//	FPMSHM_WORKER      "1": this process is a worker (Run serves instead of managing)
//	FPMSHM_SLOT        the worker's scoreboard slot index
//	FPMSHM_LISTEN_FDS  the listening sockets: "fcgi=3,http=4" (kind=descriptor)
//	FPMSHM_PARENT_FD   the read end of a pipe the master never writes: EOF means it died
//	FPMSHM_READY_FD    the write end of a pipe on which the worker says it is ready (its
//	                   pid, a line): from then on it takes SIGQUIT as a graceful stop
//	FPMSHM_ACCESS_FD   the access log, opened by the master for appending (when access.log is set)
//	FPMSHM_SLOWLOG_FD  the slowlog, likewise (when slowlog is set)
//	FPMSHM_ERRORLOG_FD the master's standard error (its error log), where the worker
//	                   writes its own log lines when its standard error is a pipe the
//	                   master reads (catch_workers_output)
//	FPMSHM_LOGS_FD     a socket on which the master sends the worker its logs
//	                   anew when it reopens them (SIGUSR1), see reopen.go
//	FPMSHM_BOARD       the name of the scoreboard segment, handed over by the shm package
//	                   (which names its own descriptors in FPMSHM_SEGMENTS)
//	FPMSHM_CONFIG      the worker's settings, JSON (workerConfig), with the names of the
//	                   pool's caches, whose segments shm hands over as the scoreboard's
//
// The descriptors are entries of exec.Cmd.ExtraFiles; no number is assumed.
// Run removes these variables from the worker's environment once read, so
// the handler's own child processes do not take themselves for workers.
const (
	envWorker     = "FPMSHM_WORKER"
	envSlot       = "FPMSHM_SLOT"
	envListenFDs  = "FPMSHM_LISTEN_FDS"
	envParentFD   = "FPMSHM_PARENT_FD"
	envReadyFD    = "FPMSHM_READY_FD"
	envAccessFD   = "FPMSHM_ACCESS_FD"
	envSlowlogFD  = "FPMSHM_SLOWLOG_FD"
	envErrorLogFD = "FPMSHM_ERRORLOG_FD"
	envLogsFD     = "FPMSHM_LOGS_FD"
	envBoard      = "FPMSHM_BOARD"
	envConfig     = "FPMSHM_CONFIG"
)

// handoverVars are the variables of the hand-over.
var handoverVars = []string{envWorker, envSlot, envListenFDs, envParentFD, envReadyFD, envAccessFD, envSlowlogFD, envErrorLogFD, envLogsFD, envBoard, envConfig}

// IsWorker reports whether this process was started by a master as one of
// its workers: pm.Run then serves requests instead of managing a pool.
func IsWorker() bool { return os.Getenv(envWorker) == "1" }

// workerConfig is what a worker needs of the pool's configuration.
type workerConfig struct {
	Pool          string
	MaxRequests   int
	StatusPath    string
	PingPath      string
	PingResponse  string
	StatusVersion status.Version
	NoScoreboard  bool
	AccessFormat  string // when the worker has an access log
	Caches        string // the names of the caches handed over, comma-separated

	FirstByteTimeout      time.Duration // request_first_byte_timeout
	RequestMaxHeaderBytes int
	Log                   logSettings // the error log, for a worker whose program sets no Logger
	AllowedClients        string      // listen.allowed_clients
	CatchOutput           bool        // catch_workers_output: the master reads the standard error
}

// workerConfig returns what c's workers need of it.
func (c *Config) workerConfig() workerConfig {
	return workerConfig{
		Pool: c.Pool, MaxRequests: c.MaxRequests, StatusPath: c.StatusPath,
		PingPath: c.PingPath, PingResponse: c.PingResponse, StatusVersion: c.StatusVersion, NoScoreboard: c.NoScoreboard,
		AccessFormat: c.accessFormat(), Caches: c.cacheNames(),
		FirstByteTimeout: c.RequestFirstByteTimeout, RequestMaxHeaderBytes: c.RequestMaxHeaderBytes,
		Log:            c.logSettings(),
		AllowedClients: c.ListenAllowedClients, CatchOutput: c.CatchWorkersOutput,
	}
}

// handover is what a worker reads from its environment.
type handover struct {
	slot      int
	listeners []inheritedFD
	parentFD  int
	readyFD   int
	accessFD  int // -1 without an access log
	slowlogFD int // -1 without a slowlog
	errorLog  int // where the worker's own log lines go: 2, or the master's error log with catch_workers_output
	logsFD    int // -1 when the master sends no logs anew
	board     string
	cfg       workerConfig
}

// inheritedFD is one listening socket handed to a worker.
type inheritedFD struct {
	kind string
	fd   int
}

// encodeListenFDs formats the FPMSHM_LISTEN_FDS value.
func encodeListenFDs(fds []inheritedFD) string {
	parts := make([]string, len(fds))
	for i, l := range fds {
		parts[i] = l.kind + "=" + strconv.Itoa(l.fd)
	}
	return strings.Join(parts, ",")
}

// readHandover reads the worker's environment and clears it.
func readHandover() (*handover, error) {
	h := &handover{}
	var err error
	if h.slot, err = envInt(envSlot); err != nil {
		return nil, err
	}
	if h.parentFD, err = envFD(envParentFD); err != nil {
		return nil, err
	}
	if h.readyFD, err = envFD(envReadyFD); err != nil {
		return nil, err
	}
	if h.accessFD, err = optionalFD(envAccessFD); err != nil {
		return nil, err
	}
	if h.slowlogFD, err = optionalFD(envSlowlogFD); err != nil {
		return nil, err
	}
	if h.logsFD, err = optionalFD(envLogsFD); err != nil {
		return nil, err
	}
	if h.errorLog, err = optionalFD(envErrorLogFD); err != nil {
		return nil, err
	} else if h.errorLog < 0 {
		h.errorLog = 2
	} else {
		syscall.CloseOnExec(h.errorLog) // the handler's own children write to their standard error
	}
	h.board = os.Getenv(envBoard)
	for _, part := range strings.Split(os.Getenv(envListenFDs), ",") {
		kind, fdText, ok := strings.Cut(part, "=")
		fd, err := strconv.Atoi(fdText)
		if !ok || err != nil || fd < 3 || (kind != kindFastCGI && kind != kindHTTP) {
			return nil, fmt.Errorf("worker hand-over: bad %s entry %q", envListenFDs, part)
		}
		h.listeners = append(h.listeners, inheritedFD{kind, fd})
	}
	if err := json.Unmarshal([]byte(os.Getenv(envConfig)), &h.cfg); err != nil {
		return nil, fmt.Errorf("worker hand-over: %s: %w", envConfig, err)
	}
	for _, k := range handoverVars {
		os.Unsetenv(k)
	}
	return h, nil
}

// optionalFD reads the descriptor in variable key, -1 when it is not set.
func optionalFD(key string) (int, error) {
	if os.Getenv(key) == "" {
		return -1, nil
	}
	return envFD(key)
}

// envFD reads the descriptor in variable key: one the master handed over
// in ExtraFiles, so 3 or more; never the worker's standard input, output
// or error, which the worker would otherwise take over as a log or close.
func envFD(key string) (int, error) {
	fd, err := envInt(key)
	if err == nil && fd < 3 {
		return 0, fmt.Errorf("worker hand-over: bad %s %d: a handed-over descriptor is 3 or more", key, fd)
	}
	return fd, err
}

func envInt(key string) (int, error) {
	n, err := strconv.Atoi(os.Getenv(key))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("worker hand-over: bad %s %q", key, os.Getenv(key))
	}
	return n, nil
}

// errorLogFile is where the worker writes its own log lines: its standard
// error, or the master's error log when its standard error is caught.
func (h *handover) errorLogFile() *os.File {
	if h.errorLog == 2 {
		return os.Stderr
	}
	return os.NewFile(uintptr(h.errorLog), "fpmshm-errorlog")
}
