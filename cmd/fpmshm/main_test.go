package main

import (
	"testing"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

func init() {
	// The test binary, re-executed as helper "fpmshm", is the command:
	// fpmshm serve's master and workers, fpmshm status, fpmshm top.
	testproc.Register("fpmshm", func(args []string) int {
		run, ok := commands[args[0]]
		if !ok {
			return 2
		}
		return run(args[1:])
	})
}

func TestMain(m *testing.M) { testproc.Main(m) }
