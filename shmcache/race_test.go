//go:build race

package shmcache

const raceEnabled = true
