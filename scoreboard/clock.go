package scoreboard

import "time"

// The slots' times are wall-clock unix nanoseconds, read through the
// monotonic clock from a base taken at start-up: one clock read instead of
// time.Now's two, on the request path. A wall-clock step after start-up is
// not followed; durations stay exact.
var (
	clockBase     = time.Now()
	clockBaseNano = clockBase.UnixNano()
)

// nowNano returns the current time in unix nanoseconds.
func nowNano() int64 { return clockBaseNano + int64(time.Since(clockBase)) }
