// Package contrib holds the files that install fpmshm serve on a server:
// fpmshm.service, its systemd unit, and fpmshm.logrotate, its logrotate
// configuration. It has no Go code; contrib_test.go checks the unit's
// directives and command line, and has logrotate check and run the
// rotation, which must reach the master with SIGUSR1; serve_test.go runs
// fpmshm serve as the unit does (READY=1 on $NOTIFY_SOCKET) and rotates its
// error log with logrotate: the master writes to the new file and keeps
// its workers.
package contrib
