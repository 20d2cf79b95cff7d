package shmcache

import "time"

// Expiry times are wall-clock unix nanoseconds, so that every process
// compares them with the same clock. They are read through the monotonic
// clock from a base taken at start-up: one clock read instead of
// time.Now's two, and only for entries that have an expiry time.
var (
	clockBase     = time.Now()
	clockBaseNano = clockBase.UnixNano()
)

// nowNano returns the current time in unix nanoseconds.
func nowNano() int64 { return clockBaseNano + int64(time.Since(clockBase)) }
