//go:build unix && !linux

package shm

// namedDir is empty: named segments need Linux's /dev/shm.
var namedDir = ""
