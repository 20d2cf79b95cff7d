// Package strftime is the C library's strftime(3) in Go: glibc's
// conversions, flags, widths and E/O modifiers in the C locale, written
// into a buffer of a given size, so that a Go program can print a time
// byte for byte as a C program (php-fpm's access log) prints it.
//
// Files: strftime.go holds Append and the walk over a layout;
// conversion.go what each conversion prints; writer.go the padding, case
// and size limit every piece goes through.
package strftime
