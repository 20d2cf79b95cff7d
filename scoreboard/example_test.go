package scoreboard_test

import (
	"fmt"
	"log"
	"os"
	"time"

	"github.com/fpmshm/fpmshm/scoreboard"
)

// The master makes the board and a slot per worker; the worker updates its
// slot at each stage of a request; anyone takes snapshots.
func Example() {
	board, err := scoreboard.New(scoreboard.Config{Pool: "www", PM: scoreboard.Static, MaxChildren: 2})
	if err != nil {
		log.Fatal(err)
	}
	defer board.Close()

	slot, _ := board.AllocSlot() // master, before spawning
	board.Started(slot, os.Getpid())

	w, _ := board.Slot(slot) // in the worker (after scoreboard.Open of its inherited segment)
	w.Accepting()
	w.ReadingHeaders()
	w.RequestInfo(scoreboard.RequestInfo{Method: "GET", URI: "/index.php", Query: "id=7"})
	w.Executing()
	w.End(time.Millisecond, 2<<20)
	w.Finished()
	w.Accepting()

	snap, _ := board.Snapshot(true)
	p := snap.Procs[0]
	fmt.Println(snap.Pool.Name, snap.Pool.PM, "accepted conn:", snap.Pool.AcceptedConn, "idle:", snap.Pool.Idle)
	fmt.Println(p.Stage, p.Requests, p.Method, p.RequestURI(), p.LastMemory)
	// Output:
	// www static accepted conn: 1 idle: 1
	// Idle 1 GET /index.php?id=7 2097152
}
