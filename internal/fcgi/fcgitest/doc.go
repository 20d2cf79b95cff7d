// Package fcgitest is the web server's side of FastCGI for tests: a client
// that sends a request and returns the status, header, body and standard
// error of its response, and lets a test send raw records (hostile ones
// included) and read what comes back record by record.
package fcgitest
