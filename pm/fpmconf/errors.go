package fpmconf

import (
	"errors"
	"fmt"
)

// DirectiveError is a directive of a configuration file that is unknown or
// whose value is wrong.
type DirectiveError struct {
	File    string
	Line    int    // 1-based; 0 when unknown
	Section string // "global", or the pool's name
	Key     string
	Err     error
}

// Error returns "FILE:LINE: [SECTION] KEY: reason".
func (e *DirectiveError) Error() string {
	return fmt.Sprintf("%s:%d: [%s] %s: %v", e.File, e.Line, e.Section, e.Key, e.Err)
}

// Unwrap returns the reason, such as ErrUnknownDirective.
func (e *DirectiveError) Unwrap() error { return e.Err }

// ErrUnknownDirective is matched by the DirectiveError of a directive that
// fpmshm does not implement.
var ErrUnknownDirective = errors.New("unknown directive (not implemented by fpmshm)")
