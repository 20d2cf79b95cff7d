// Command benchtable pairs Go benchmark results with their references (C
// programs, APCu, Redis) and prints one table of Go/reference ratios. bench/run drives it; it reads only text,
// so it builds and runs on any platform.
//
// Usage:
//
//	benchtable -pairs bench/pairs.txt [-filter REGEX] -plan
//	benchtable -pairs bench/pairs.txt [-filter REGEX] -c C.out -go GO.out
//
// With -plan it prints what bench/run must run for the selected pairs, one
// "key value" line each: "packages" (the Go packages), "gobench" (a regular
// expression for go test -bench) and "cbench" (one for the C programs' -r).
//
// Otherwise it reads benchmark output in Go's format (the C programs and
// the anchors print the same format) and prints, for each selected pair, the median ns/op of
// each side, its spread, the ratio and whether it is within the target.
// A pair's reference may be a metric its Go benchmark reports beside ns/op
// ("metric:raw-ns/op": the same work without fpmshm, timed interleaved).
// A benchmark that is absent from the output is reported as missing.
// It exits non-zero only on bad input (an unreadable file, a malformed pair).
package main
