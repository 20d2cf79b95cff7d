// Command fpmshm runs and inspects fpmshm process pools.
//
// Usage:
//
//	fpmshm demo      allocate, write and free segments, printing the accounting
//	fpmshm serve     run a pool of workers behind FastCGI and HTTP, as php-fpm does
//	fpmshm status    print a running pool's status page, read from shared memory
//	fpmshm top       watch a running pool and its processes, live
//	fpmshm cache     read a running pool's shared caches: stats, get KEY, keys
//
// Run "fpmshm COMMAND -h" for a command's flags.
//
// Files: main.go dispatches to the subcommands, one file each (demo.go,
// serve.go, status.go, top.go, cache.go), each with its usage text;
// servetest.go is serve -t and -tt; target.go finds the master that
// status, top and cache read;
// demohandler.go is serve's built-in page.
package main
