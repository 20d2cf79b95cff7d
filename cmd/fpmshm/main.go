package main

import (
	"fmt"
	"os"
	"sort"
)

// commands maps each subcommand to its entry point, which gets the
// arguments after the command's name and returns the exit code.
var commands = map[string]func(args []string) int{
	"demo":   demo,
	"serve":  serve,
	"status": runStatus,
	"top":    top,
	"cache":  runCache,
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	run, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "fpmshm: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	os.Exit(run(os.Args[2:]))
}

func usage() {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(os.Stderr, "usage: fpmshm COMMAND [flags]\ncommands: %v\n", names)
}
