package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/fpmshm/fpmshm/scoreboard"
)

// top shows a master's running pools (or the one -pool names) and their
// processes, refreshed every second, until q is pressed (or -n screens
// were shown, or the master is gone).
func top(args []string) int {
	fs := flag.NewFlagSet("top", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: fpmshm top [-pid PID | -pidfile FILE] [-pool NAME] [-d DELAY] [-n COUNT]\n\n"+
			"Shows a master's running pools (or the one -pool names) and their processes, live,\n"+
			"from the master's shared memory. q quits.\n\n")
		fs.PrintDefaults()
	}
	var t target
	t.bind(fs)
	delay := fs.Duration("d", time.Second, "time between screens")
	count := fs.Int("n", 0, "stop after this many screens (0: until q)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	pid, err := t.masterPID()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fpmshm top:", err)
		return 1
	}
	t.pid = pid
	boards, err := t.openAll()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fpmshm top:", err)
		return 1
	}
	defer func() {
		for _, b := range boards {
			b.Close()
		}
	}()

	out, quit, restore := topTerminal()
	defer restore()
	tick := time.NewTicker(max(*delay, 10*time.Millisecond))
	defer tick.Stop()
	last := make([]scoreboard.Snapshot, len(boards))
	for n := 1; ; n++ {
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			fmt.Fprintf(out, "master %d is gone\r\n", pid)
			return 1
		}
		var screen strings.Builder
		for i, b := range boards {
			snap, err := b.Snapshot(true)
			if err != nil {
				fmt.Fprintf(out, "fpmshm top: %v\r\n", err)
				return 1
			}
			screen.WriteString(topScreen(pid, snap, last[i]))
			last[i] = snap
		}
		io.WriteString(out, "\x1b[H\x1b[2J"+screen.String()+"q quits\r\n")
		if *count > 0 && n >= *count {
			return 0
		}
		select {
		case <-quit:
			return 0
		case <-tick.C:
		}
	}
}

// topTerminal puts a terminal on stdin into raw mode (restore undoes it)
// and returns a channel closed when q, Q or Ctrl-C is typed, or on
// SIGINT or SIGTERM.
func topTerminal() (out io.Writer, quit <-chan struct{}, restore func()) {
	q := make(chan struct{})
	restore = func() {}
	fd := int(os.Stdin.Fd())
	if term.IsTerminal(fd) {
		if old, err := term.MakeRaw(fd); err == nil {
			restore = func() { term.Restore(fd, old); fmt.Print("\r\n") }
		}
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		r := bufio.NewReader(os.Stdin)
		for {
			b, err := r.ReadByte()
			if err != nil {
				return // stdin closed (not a terminal): -n or a signal ends top
			}
			if b == 'q' || b == 'Q' || b == 3 {
				close(q)
				return
			}
		}
	}()
	both := make(chan struct{})
	go func() {
		select {
		case <-q:
		case <-sigs:
		}
		close(both)
	}()
	return os.Stdout, both, restore
}

// topScreen renders one pool's part of a screen: the pool, then a line
// per process. prev, the pool's snapshot on the previous screen, gives
// the request rate.
func topScreen(pid int, s scoreboard.Snapshot, prev scoreboard.Snapshot) string {
	var b strings.Builder
	p := s.Pool
	rate := "-"
	if !prev.Taken.IsZero() {
		if dt := s.Taken.Sub(prev.Taken).Seconds(); dt > 0 && p.AcceptedConn >= prev.Pool.AcceptedConn {
			rate = fmt.Sprintf("%.1f", float64(p.AcceptedConn-prev.Pool.AcceptedConn)/dt)
		}
	}
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\r\n", args...) }
	line("fpmshm top - pool %s (pm %s), master %d, up %s, %s", p.Name, p.PM, pid,
		s.Taken.Sub(p.StartTime).Truncate(time.Second), s.Taken.Format("15:04:05"))
	line("processes: %d total, %d active, %d idle; max active %d of %d; max children reached %d",
		p.Total(), p.Active, p.Idle, p.MaxActive, p.MaxChildren, p.MaxChildrenReached)
	line("requests: %d accepted, %s/s; slow %d; listen queue %d (max %d, len %d); memory peak %s",
		p.AcceptedConn, rate, p.SlowRequests, p.ListenQueue, p.MaxListenQueue, p.ListenQueueLen, bytesText(p.MemoryPeak))
	line("")
	line("%7s %-27s %8s %6s %10s %6s %8s %-7s %s", "PID", "STATE", "UP", "REQS", "DURATION", "CPU%", "MEM", "METHOD", "REQUEST URI")
	for _, pr := range s.Procs {
		if pr.Invalid != "" {
			line("%7d invalid slot %d: %s", pr.PID, pr.Slot, pr.Invalid)
			continue
		}
		cpu, mem := "-", "-"
		if pr.Stage == scoreboard.Idle {
			cpu, mem = fmt.Sprintf("%.2f", pr.LastCPU), bytesText(pr.LastMemory)
		}
		line("%7d %-27s %8s %6d %10s %6s %8s %-7s %s", pr.PID, pr.Stage, s.Taken.Sub(pr.StartTime).Truncate(time.Second),
			pr.Requests, pr.Duration.Truncate(time.Microsecond), cpu, mem, orDash(pr.Method), orDash(pr.RequestURI()))
	}
	line("")
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// bytesText prints a byte count in KiB, MiB or GiB.
func bytesText(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1fG", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fM", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1fK", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}
