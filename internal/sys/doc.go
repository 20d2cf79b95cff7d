// Package sys is fpmshm's only door to golang.org/x/sys/unix: thin wrappers
// over the system calls the other packages need, each returning the raw
// errno so that callers can wrap it with what they were doing.
//
// On platforms without a facility the wrapper returns ErrNotSupported.
package sys

import "errors"

// ErrNotSupported is returned by wrappers of facilities this platform lacks.
var ErrNotSupported = errors.New("not supported on this platform")
