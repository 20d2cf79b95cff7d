package errorlog_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"time"

	"github.com/fpmshm/fpmshm/pm/errorlog"
)

func ExampleNewHandler() {
	level, err := errorlog.ParseLevel("notice") // log_level
	if err != nil {
		panic(err)
	}
	log := slog.New(errorlog.NewHandler(os.Stdout, &errorlog.Options{Level: level})).With("pool", "www")

	// A Logger stamps each record with the time of the call; for the
	// example's output the records carry a fixed one.
	at := time.Date(2026, 12, 2, 0, 5, 8, 0, time.Local)
	for _, r := range []slog.Record{
		slog.NewRecord(at, errorlog.LevelWarning, `child 123, script '/x.php' (request: "GET /x.php") execution timed out (1.012342 sec), terminating`, 0),
		slog.NewRecord(at, errorlog.LevelNotice, "child 124 started", 0),
		slog.NewRecord(at, errorlog.LevelDebug, "not written at log_level notice", 0),
	} {
		if log.Enabled(context.Background(), r.Level) {
			log.Handler().Handle(context.Background(), r)
		}
	}
	// Output:
	// [02-Dec-2026 00:05:08] WARNING: [pool www] child 123, script '/x.php' (request: "GET /x.php") execution timed out (1.012342 sec), terminating
	// [02-Dec-2026 00:05:08] NOTICE: [pool www] child 124 started
}

func ExampleNewSyslogHandler() {
	facility, err := errorlog.ParseFacility("local3") // syslog.facility
	if err != nil {
		panic(err)
	}
	s := errorlog.NewSyslog(errorlog.DefaultSyslogPath, "php-fpm", facility) // syslog.ident
	defer s.Close()
	log := slog.New(errorlog.NewSyslogHandler(s, nil))
	// Sends "<157>Dec  2 00:05:08 php-fpm[PID]: [NOTICE] ready to handle connections".
	log.Info("ready to handle connections")
}

// A worker's standard output and error, piped into the master's log as
// catch_workers_output does. Undecorated, the lines are the worker's own;
// decorated (the default), each would read
// [02-Dec-2026 00:05:08] WARNING: [pool www] child 123 said into stderr: "hello".
func ExampleChildOutput() {
	cmd := exec.Command("sh", "-c", `echo hello >&2; printf 'no newline' >&2`)
	out := errorlog.NewChildOutput(errorlog.NewHandler(os.Stdout, nil), "www", 123, false)
	cmd.Stdout, cmd.Stderr = out.Stdout(), out.Stderr()
	if err := cmd.Run(); err != nil {
		fmt.Println(err)
	}
	out.Close() // the worker is gone: its last line, unfinished, is logged
	// Output:
	// hello
	// no newline
}
