package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/fpmshm/fpmshm/shm"
)

// demo allocates a few segments the way PHP-FPM's master does (one per
// pool), writes to them, frees them, and prints the accounting the seed's
// "N bytes have been reserved in SHM" line reports.
func demo(args []string) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: fpmshm demo [-pools N] [-size BYTES] [-v]\n\n"+
			"Allocates, writes and frees shared memory segments, one per pool, printing the accounting.\n\n")
		fs.PrintDefaults()
	}
	pools := fs.Int("pools", 3, "segments to allocate, one per pool")
	size := fs.Int("size", 3632, "bytes per segment")
	verbose := fs.Bool("v", false, "log allocations at debug level")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *pools < 1 {
		fmt.Fprintln(os.Stderr, "fpmshm demo: -pools must be at least 1")
		return 2
	}
	if *verbose {
		shm.SetLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})))
	}
	var segs []*shm.Segment
	for i := range *pools {
		seg, err := shm.AllocWith(*size, shm.AllocOptions{Name: fmt.Sprintf("pool-%d", i)})
		if err != nil {
			fmt.Fprintln(os.Stderr, "fpmshm demo:", err)
			return 1
		}
		n := copy(seg.Bytes(), fmt.Sprintf("pool %d's scoreboard", i))
		fmt.Printf("allocated %-8s %6d bytes (%s), wrote %d bytes\n", seg.Name(), seg.Len(), seg.Info().Backing, n)
		segs = append(segs, seg)
	}
	fmt.Printf("%d bytes have been reserved in SHM\n", shm.Allocated())
	for _, info := range shm.Segments() {
		fmt.Printf("  live: %-8s %6d bytes %-10s %s\n", info.Name, info.Size, info.Prot, info.Backing)
	}
	for _, seg := range segs {
		if err := seg.Free(); err != nil {
			fmt.Fprintln(os.Stderr, "fpmshm demo:", err)
			return 1
		}
	}
	fmt.Printf("after freeing: %d bytes reserved in SHM\n", shm.Allocated())
	if err := segs[0].Free(); err != nil {
		fmt.Printf("a second free is refused: %v\n", err)
	}
	return 0
}
