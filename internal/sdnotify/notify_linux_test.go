package sdnotify

import (
	"fmt"
	"os"
	"testing"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

// TestAbstractSocket checks an abstract socket name ('@...'), as systemd
// gives to services in containers and to user units.
func TestAbstractSocket(t *testing.T) {
	name := fmt.Sprintf("@fpmshm-sdnotify-test-%d", os.Getpid())
	_, c := testproc.ListenDatagrams(t, name)
	t.Setenv("NOTIFY_SOCKET", name)
	n, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Ready(); err != nil {
		t.Fatal(err)
	}
	if got, want := testproc.ReceiveDatagram(t, c), fmt.Sprintf("READY=1\nSTATUS=Ready to handle connections\nMAINPID=%d", os.Getpid()); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
