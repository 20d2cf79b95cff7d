//go:build race

package shmsync

const raceEnabled = true
