package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/fpmshm/fpmshm/pm"
	"github.com/fpmshm/fpmshm/scoreboard"
	"github.com/fpmshm/fpmshm/shm"
	"github.com/fpmshm/fpmshm/status"
)

// runStatus prints a running pool's status page, read straight from the
// master's scoreboard (and, for OpenMetrics, its caches) in shared memory:
// the same bytes the status page serves (the "start since" and durations
// are those of the moment read).
func runStatus(args []string) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: fpmshm status [-pid PID | -pidfile FILE] [-pool NAME] [-full] [-json|-xml|-html|-openmetrics]\n\n"+
			"Prints a running pool's status page, read from the master's shared memory.\n\n")
		fs.PrintDefaults()
	}
	var t target
	t.bind(fs)
	full := fs.Bool("full", false, "one record per process")
	asJSON := fs.Bool("json", false, "JSON")
	asXML := fs.Bool("xml", false, "XML")
	asHTML := fs.Bool("html", false, "HTML")
	asOM := fs.Bool("openmetrics", false, "OpenMetrics")
	version := fs.String("version", "8.4", "the php-fpm field set: 8.2, 8.3 or 8.4")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	v, err := status.ParseVersion(*version)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fpmshm status:", err)
		return 2
	}
	format := status.Text
	switch {
	case *asHTML:
		format = status.HTML
	case *asXML:
		format = status.XML
	case *asJSON:
		format = status.JSON
	case *asOM:
		format = status.OpenMetrics
	}
	board, err := t.open()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fpmshm status:", err)
		return 1
	}
	defer board.Close()
	snap, err := board.Snapshot(*full)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fpmshm status:", err)
		return 1
	}
	opts := status.Options{Format: format, Full: *full, Version: v}
	if format == status.OpenMetrics {
		opts.Caches = t.cacheStats()
	}
	if err := status.Render(os.Stdout, snap, opts); err != nil {
		fmt.Fprintln(os.Stderr, "fpmshm status:", err)
		return 1
	}
	return 0
}

// target is the master a reading command looks at.
type target struct {
	pid     int
	pidfile string
	pool    string
}

func (t *target) bind(fs *flag.FlagSet) {
	t.bindMaster(fs)
	fs.StringVar(&t.pool, "pool", "", "the pool's name (default: the one scoreboard the master holds)")
}

// bindMaster declares the flags that find the master: -pid and -pidfile.
func (t *target) bindMaster(fs *flag.FlagSet) {
	fs.IntVar(&t.pid, "pid", 0, "the master's process id (default: read from -pidfile)")
	fs.StringVar(&t.pidfile, "pidfile", defaultPIDFile(), "the pid file the master wrote (serve -pid)")
}

// masterPID returns the pid given, or the one in the pid file.
func (t *target) masterPID() (int, error) {
	if t.pid > 0 {
		return t.pid, nil
	}
	return pm.ReadPIDFile(t.pidfile)
}

// open maps the master's scoreboard read-only.
func (t *target) open() (*scoreboard.Board, error) {
	pid, err := t.masterPID()
	if err != nil {
		return nil, err
	}
	name := scoreboard.SegmentName(t.pool)
	if t.pool == "" {
		if name, err = findScoreboard(pid); err != nil {
			return nil, err
		}
	}
	seg, err := shm.Attach(pid, name, false)
	if err != nil {
		return nil, fmt.Errorf("master %d: %w", pid, err)
	}
	b, err := scoreboard.Open(seg)
	if err != nil {
		seg.Free()
		return nil, fmt.Errorf("master %d: %w", pid, err)
	}
	return b, nil
}

// errNoScoreboard is returned when a process holds no scoreboard.
var errNoScoreboard = errors.New("holds no scoreboard (is it an fpmshm master?)")

// findScoreboard returns the name of the scoreboard segment pid holds;
// the default pool's name where segments cannot be listed.
func findScoreboard(pid int) (string, error) {
	names, err := shm.Names(pid)
	if errors.Is(err, shm.ErrNotSupported) {
		return scoreboard.SegmentName(pm.DefaultPool), nil
	}
	if err != nil {
		return "", fmt.Errorf("process %d: %w", pid, err)
	}
	for _, name := range names {
		if strings.HasPrefix(name, scoreboard.SegmentName("")) {
			return name, nil
		}
	}
	return "", fmt.Errorf("process %d %w", pid, errNoScoreboard)
}
