//go:build race

package pm

// statusGrowthKiB is how much TestStatusListenBounded lets the master
// grow: the race detector's shadow memory grows with what the master
// touches, several times more than the memory itself.
const statusGrowthKiB = 64 << 10
