// Package accesslog writes php-fpm's access log: one line per request, in
// a pool's access.format, byte for byte as php-fpm 8.2 prints it.
//
// ParseFormat compiles an access.format once, refusing what php-fpm
// refuses; Format.Append prints an Entry (what one finished request was:
// method, URI, status, times, CPU time, memory, its variables and response
// header) as php-fpm does, within its 1024-byte line. A Log writes the
// lines of one process to the pool's file. The transports that serve the
// requests fill the Entry; the package reads nothing else.
//
// Files: entry.go, the Entry; format.go, compiling a format; line.go,
// printing an entry; log.go, the Log.
package accesslog
