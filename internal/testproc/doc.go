// Package testproc lets a test binary act as the helper processes of its own
// multi-process tests, the way os/exec's tests do: TestMain calls Main, tests
// start helpers with Command, and the re-executed binary runs the helper
// registered under the name it was given instead of the tests.
//
// Main also fails the run when the tests leave file descriptors open that
// were not open before them, naming each leaked descriptor's target.
//
// Files: testproc.go holds Main, Register, Command and StartReady;
// program.go NeedBinary, a program a test needs; datagram.go a unix
// datagram socket standing in for syslog or systemd; everyone.go a copy of
// the test binary that a helper started as another user can run.
package testproc
