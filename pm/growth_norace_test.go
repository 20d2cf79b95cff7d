//go:build !race

package pm

// statusGrowthKiB is how much TestStatusListenBounded lets the master
// grow: the buffers and goroutines of the connections it serves at once,
// and the garbage they leave until the next collection.
const statusGrowthKiB = 16 << 10
