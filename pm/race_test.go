//go:build race

package pm

// raceEnabled reports a -race build, whose shadow memory multiplies a
// process's resident size.
const raceEnabled = true
