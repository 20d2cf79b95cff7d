package errorlog

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

func syslogRecord(level slog.Level, msg string, attrs ...any) slog.Record {
	r := slog.NewRecord(t0, level, msg, 0)
	r.Add(attrs...)
	return r
}

func TestSyslogDatagram(t *testing.T) {
	path, conn := testproc.ListenDatagrams(t, "")
	s := NewSyslog(path, "fpmx", FacilityLocal3)
	defer s.Close()
	h := NewSyslogHandler(s, nil)
	pid := strconv.Itoa(os.Getpid())
	tests := []struct {
		r    slog.Record
		want string
	}{
		{syslogRecord(LevelWarning, "child 7 exited", "pool", "www"), "<156>Dec  2 00:05:08 fpmx[" + pid + "]: [WARNING] [pool www] child 7 exited"},
		{syslogRecord(LevelNotice, "ready"), "<157>Dec  2 00:05:08 fpmx[" + pid + "]: [NOTICE] ready"},
		{syslogRecord(LevelError, "e"), "<155>Dec  2 00:05:08 fpmx[" + pid + "]: [ERROR] e"},
		{syslogRecord(LevelAlert, "a"), "<153>Dec  2 00:05:08 fpmx[" + pid + "]: [ALERT] a"},
		{syslogRecord(LevelDebug, "d"), "<159>Dec  2 00:05:08 fpmx[" + pid + "]: [DEBUG] d"},
		{syslogRecord(LevelNotice, "tab\tctl\x01del\x7f é"), "<157>Dec  2 00:05:08 fpmx[" + pid + `]: [NOTICE] tab\x09ctl\x01del\x7f é`},
	}
	for _, tt := range tests {
		if err := h.Handle(context.Background(), tt.r); err != nil {
			t.Fatal(err)
		}
		if got := testproc.ReceiveDatagram(t, conn); got != tt.want {
			t.Errorf("got %q\nwant %q", got, tt.want)
		}
	}
}

// TestSyslogDefaults checks php-fpm's defaults: facility daemon, ident
// php-fpm; and the debug prefix, which leaves out the pid syslog adds.
func TestSyslogDefaults(t *testing.T) {
	path, conn := testproc.ListenDatagrams(t, "")
	s := NewSyslog(path, "", DefaultFacility)
	defer s.Close()
	log := slog.New(NewSyslogHandler(s, &Options{Level: LevelDebug}))
	log.Info("ready")
	_, _, line, _ := runtime.Caller(0)
	got := testproc.ReceiveDatagram(t, conn)
	want := "<29>" + time.Now().Format("Jan _2 15:04")
	if !strings.HasPrefix(got, want) {
		t.Errorf("got %q, want it to start %q", got, want)
	}
	if want := " php-fpm[" + strconv.Itoa(os.Getpid()) + "]: [NOTICE] errorlog.TestSyslogDefaults(), line " +
		strconv.Itoa(line-1) + ": ready"; !strings.HasSuffix(got, want) {
		t.Errorf("got %q, want it to end %q", got, want)
	}
}

// TestSyslogReconnect restarts the daemon under the Syslog and checks that
// the next line reaches the new one, and that a daemon that is not there
// gives an error that names the socket and wraps the errno.
func TestSyslogReconnect(t *testing.T) {
	path, conn := testproc.ListenDatagrams(t, "")
	s := NewSyslog(path, "fpmx", FacilityDaemon)
	defer s.Close()
	h := NewSyslogHandler(s, nil)
	ctx := context.Background()
	if err := h.Handle(ctx, syslogRecord(LevelNotice, "one")); err != nil {
		t.Fatal(err)
	}
	testproc.ReceiveDatagram(t, conn)
	conn.Close()
	os.Remove(path)
	err := h.Handle(ctx, syslogRecord(LevelNotice, "lost"))
	if !errors.Is(err, syscall.ENOENT) || !strings.Contains(err.Error(), path) {
		t.Errorf("no daemon: %v, want ENOENT naming %s", err, path)
	}
	conn2, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	if err := h.Handle(ctx, syslogRecord(LevelNotice, "two")); err != nil {
		t.Fatal(err)
	}
	if got := testproc.ReceiveDatagram(t, conn2); !strings.HasSuffix(got, "[NOTICE] two") {
		t.Errorf("after the restart: %q", got)
	}
}

// TestSyslogStream checks a daemon listening on a stream socket: each
// message ends in NUL, as glibc sends them.
func TestSyslogStream(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s := NewSyslog(path, "fpmx", FacilityDaemon)
	defer s.Close()
	h := NewSyslogHandler(s, nil)
	go func() {
		h.Handle(context.Background(), syslogRecord(LevelNotice, "one"))
		h.Handle(context.Background(), syslogRecord(LevelWarning, "two\nthree"))
	}()
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	r := bufio.NewReader(c)
	for _, want := range []string{"[NOTICE] one", "[WARNING] two", "[WARNING] three"} {
		msg, err := r.ReadString(0)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(msg, want+"\x00") {
			t.Errorf("got %q, want it to end %q", msg, want+`\x00`)
		}
	}
}

// TestSyslogStalledDaemon checks that a daemon that stops reading cannot
// hold a logging process for long: once its queue is full, a send fails
// after syslogTimeout instead of blocking.
func TestSyslogStalledDaemon(t *testing.T) {
	path, _ := testproc.ListenDatagrams(t, "") // never read
	s := NewSyslog(path, "fpmx", FacilityDaemon)
	defer s.Close()
	h := NewSyslogHandler(s, nil)
	r := syslogRecord(LevelNotice, strings.Repeat("x", 1000))
	for i := range 100000 {
		start := time.Now()
		err := h.Handle(context.Background(), r)
		if took := time.Since(start); took > 3*syslogTimeout {
			t.Fatalf("send %d took %v", i, took)
		}
		if err != nil {
			if !strings.Contains(err.Error(), "timeout") {
				t.Errorf("send %d: %v, want a timeout", i, err)
			}
			return
		}
	}
	t.Fatal("100000 sends to a daemon that never reads all succeeded")
}

func TestParseFacility(t *testing.T) {
	for s, want := range map[string]Facility{
		"daemon": FacilityDaemon, "DAEMON": FacilityDaemon, "Local0": FacilityLocal0, "local7": FacilityLocal7,
		"authpriv": FacilityAuthPriv, "kern": FacilityKern, "syslog": FacilitySyslog, "ftp": FacilityFTP,
	} {
		got, err := ParseFacility(s)
		if err != nil || got != want {
			t.Errorf("ParseFacility(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "bogus", "security", "ntp", "local8", "LOG_DAEMON"} {
		if _, err := ParseFacility(s); !errors.Is(err, ErrFacility) {
			t.Errorf("ParseFacility(%q): %v, want ErrFacility", s, err)
		}
	}
	for f, name := range facilityNames {
		if got, err := ParseFacility(f.String()); err != nil || got != f {
			t.Errorf("%s: String and ParseFacility disagree: %v %v", name, got, err)
		}
	}
	if got := Facility(12).String(); got != "Facility(12)" {
		t.Errorf("Facility(12).String() = %q", got)
	}
}

// TestSyslogChildOutput checks a worker's lines sent to syslog, as
// WARNING datagrams, decorated or not (php-fpm 8.2 drops them when it logs
// to syslog).
func TestSyslogChildOutput(t *testing.T) {
	path, conn := testproc.ListenDatagrams(t, "")
	s := NewSyslog(path, "fpmx", FacilityDaemon)
	defer s.Close()
	h := NewSyslogHandler(s, nil)
	header := "<28>" + t0.Format(time.Stamp) + " fpmx[" + strconv.Itoa(os.Getpid()) + "]: "
	for decorate, want := range map[bool]string{
		true:  header + `[WARNING] [pool www] child 7 said into stderr: "ctl\x01"`,
		false: header + `ctl\x01`,
	} {
		c := NewChildOutput(h, "www", 7, decorate)
		c.now = func() time.Time { return t0 }
		c.Stderr().Write([]byte("ctl\x01\n"))
		if got := testproc.ReceiveDatagram(t, conn); got != want {
			t.Errorf("decorate %v: got %q, want %q", decorate, got, want)
		}
	}
}
