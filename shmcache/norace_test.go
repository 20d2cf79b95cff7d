//go:build !race

package shmcache

const raceEnabled = false
