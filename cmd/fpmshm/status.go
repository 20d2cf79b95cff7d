package main

import (
	"flag"
	"fmt"
	"os"

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
