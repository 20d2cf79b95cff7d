package pm

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/sys"
	"github.com/fpmshm/fpmshm/internal/testproc"
)

// TestTakeLogs drives a worker's side of the logs socket: a log the master
// sends takes the place of the worker's descriptor (what is written there
// next goes to the new file), and a message that is not the master's (names
// and descriptors that do not pair, an unknown name, a log the worker does
// not have) changes nothing and leaks no descriptor.
func TestTakeLogs(t *testing.T) {
	dir := t.TempDir()
	oldAccess, err := openLog(filepath.Join(dir, "access.old"))
	if err != nil {
		t.Fatal(err)
	}
	defer oldAccess.Close()
	master, worker, err := sys.PacketPair()
	if err != nil {
		t.Fatal(err)
	}
	baseline := testproc.CountFDs(t)
	done := make(chan struct{})
	go func() {
		takeLogs(worker, -1, int(oldAccess.Fd()), -1, slog.New(slog.NewTextHandler(io.Discard, nil)))
		close(done)
	}()
	send := func(names string, paths ...string) {
		t.Helper()
		var fds []int
		for _, p := range paths {
			f, err := openLog(filepath.Join(dir, p))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			fds = append(fds, int(f.Fd()))
		}
		if err := sys.SendRights(master, []byte(names), fds); err != nil {
			t.Fatal(err)
		}
	}
	// writeWhere writes a line to the worker's access log descriptor and
	// reports which file has it once the worker has read all sent so far.
	writeWhere := func(line string) string {
		t.Helper()
		time.Sleep(100 * time.Millisecond)
		if _, err := oldAccess.WriteString(line + "\n"); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"access.old", "access.new", "bogus1", "bogus2", "bogus3"} {
			if b, _ := os.ReadFile(filepath.Join(dir, name)); strings.Contains(string(b), line) {
				return name
			}
		}
		return ""
	}
	send("access,slowlog", "bogus1")        // two names, one descriptor
	send("", "bogus2")                      // no name
	send("slowlog", "bogus3")               // a log this worker does not have
	send("error,access,access,access", "x") // more names than descriptors
	if got := writeWhere("one"); got != "access.old" {
		t.Errorf("after messages that are not the master's, the access log is %q", got)
	}
	send("access", "access.new")
	if got := writeWhere("two"); got != "access.new" {
		t.Errorf("after the master sent a new access log, the line went to %q", got)
	}
	// More than before is a leak; fewer can be another test's descriptor
	// closed meanwhile.
	if !testproc.Poll(2*time.Second, 20*time.Millisecond, func() bool { return testproc.CountFDs(t) <= baseline }) {
		t.Errorf("%d descriptors open, %d before: the worker leaked some", testproc.CountFDs(t), baseline)
	}
	syscall.Close(master)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Error("takeLogs did not return once the master's end was closed")
	}
}
