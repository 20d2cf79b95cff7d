package shmcache

// Crash points: the places in a write, an eviction and a repair where a
// process killed there leaves the most to repair. The kill tests set
// crashHook in their helper processes, which SIGKILL themselves at these
// points; everywhere else crashHook is nil and a crash point is one
// predictable branch.
const (
	cpLocked          = iota // the stripe locked, nothing changed yet
	cpFilled                 // a new entry written into a taken chunk, not published
	cpArmed                  // the intent armed, the slot not yet changed
	cpPublished              // the slot changed, what it replaced not yet freed
	cpFreeing                // a chunk's bit cleared, counts and lists not yet
	cpLinking                // a page half moved between lists
	cpEvicting               // a victim's slot cleared, its chunk not yet freed
	cpMoving                 // an entry copied to its other bucket, its old slot not yet cleared
	cpCounterArmed           // a counter's intent armed, the counter unchanged
	cpCounterTorn            // a counter's value rewritten, its checksum not yet
	cpCounterWritten         // a counter rewritten, its intent still armed
	cpRepairRolled           // a repair's intent rolled forward, the allocator not yet rebuilt
	cpRepairInstalled        // a repair's allocator rebuilt, not yet checked
	crashPoints
)

// crashNames names the crash points, for the kill tests' report.
var crashNames = [crashPoints]string{
	"locked", "filled", "armed", "published", "freeing", "linking", "evicting", "moving",
	"counter-armed", "counter-torn", "counter-written", "repair-rolled", "repair-installed",
}

// crashHook, when not nil, is called at every crash point.
var crashHook func(point int)

func crashPoint(point int) {
	if crashHook != nil {
		crashHook(point)
	}
}
