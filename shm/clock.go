package shm

import "time"

// clockBase anchors now: one monotonic clock read per call instead of
// time.Now's two, on the Map and Alloc paths.
var clockBase = time.Now()

// now returns the current time as a monotonic offset from clockBase.
func now() time.Time { return clockBase.Add(time.Since(clockBase)) }
