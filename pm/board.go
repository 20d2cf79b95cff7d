package pm

import (
	"time"

	"github.com/fpmshm/fpmshm/scoreboard"
)

// masterBoard is what the master needs of the scoreboard: *scoreboard.Board
// in a real pool, a fake in the tests of the master's decisions.
type masterBoard interface {
	AllocSlot() (int, error)
	Started(slot, pid int) error
	FreeSlot(slot int) error
	SetListenQueue(waiting, size uint64)
	AddMaxChildrenReached()
	AddSlowRequest()
	Snapshot(full bool) (scoreboard.Snapshot, error)
}

// recorder is what a worker writes to its slot as it serves a request:
// *scoreboard.Slot, or nothing when the scoreboard is turned off.
type recorder interface {
	Accepting()
	ReadingHeaders()
	RequestInfo(scoreboard.RequestInfo)
	Executing()
	End(cpu time.Duration, memory uint64)
	Finished()
}

var (
	_ masterBoard = (*scoreboard.Board)(nil)
	_ recorder    = (*scoreboard.Slot)(nil)
)
