package sdnotify_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/fpmshm/fpmshm/internal/sdnotify"
)

func ExampleHeartbeat() {
	// A stand-in for systemd's notification socket; under systemd,
	// sdnotify.FromEnv finds the real one in $NOTIFY_SOCKET.
	dir, _ := os.MkdirTemp("", "sdnotify")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "notify")
	systemd, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		panic(err)
	}
	defer systemd.Close()
	received := func() string {
		b := make([]byte, 512)
		n, _ := systemd.Read(b)
		return strings.ReplaceAll(string(b[:n]), "\n", `\n`)
	}

	n, err := sdnotify.New(path)
	if err != nil {
		panic(err)
	}
	n.Stopping()
	fmt.Println(received())

	hb := sdnotify.NewHeartbeat(n, sdnotify.DefaultInterval) // systemd_interval
	fmt.Println(hb.Notice())
	hb.Beat(sdnotify.Counts{Active: 1, Idle: 1, Requests: 20})
	fmt.Println(received())
	hb.Beat(sdnotify.Counts{Active: 0, Idle: 2, Requests: 23, Slow: 1})
	fmt.Println(received())
	// Output:
	// STOPPING=1
	// systemd monitor interval set to 10000ms
	// READY=1\nSTATUS=Processes active: 1, idle: 1, Requests: 20, slow: 0, Traffic: 2.00req/sec
	// READY=1\nSTATUS=Processes active: 0, idle: 2, Requests: 23, slow: 1, Traffic: 0.30req/sec
}
