// Package statustest holds the scoreboard fixtures that status's tests and
// promcollector's tests share.
package statustest

import (
	"time"

	"github.com/fpmshm/fpmshm/scoreboard"
)

// BusySnapshot is a pool of three workers in three states, every figure
// distinct.
func BusySnapshot() scoreboard.Snapshot {
	taken := time.Unix(1795670000, 250e6)
	start := time.Unix(1795667273, 0)
	return scoreboard.Snapshot{
		Taken: taken,
		Pool: scoreboard.Pool{
			Name: "shop", PM: scoreboard.Dynamic, StartTime: start,
			AcceptedConn: 123456, ListenQueue: 3, MaxListenQueue: 17, ListenQueueLen: 511,
			Idle: 1, Active: 2, MaxActive: 5, MaxChildren: 8,
			MaxChildrenReached: 4, SlowRequests: 9, MemoryPeak: 8 << 20,
		},
		Procs: []scoreboard.Proc{
			{Slot: 0, PID: 4001, Stage: scoreboard.Idle, StartTime: start.Add(10 * time.Second),
				Requests: 500, Duration: 1534 * time.Microsecond, Method: "POST",
				URI: "/api/cart.php", Query: `id=5&note="x/y"`, ContentLength: 321,
				User: "bob", Script: "/srv/shop/api/cart.php", LastCPU: 37.5, LastMemory: 4 << 20},
			{Slot: 2, PID: 4003, Stage: scoreboard.Running, StartTime: start.Add(20 * time.Second),
				Requests: 77, Duration: 2500 * time.Millisecond, Method: "GET", URI: "/index.php",
				Script: "/srv/shop/index.php"},
			{Slot: 5, PID: 4006, Stage: scoreboard.ReadingHead, StartTime: taken.Add(-time.Second),
				Requests: 1, Duration: 20 * time.Microsecond},
		},
	}
}
