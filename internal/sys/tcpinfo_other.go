//go:build !linux

package sys

// ListenQueue returns ErrNotSupported: only Linux reports a listening
// socket's queue through TCP_INFO.
func ListenQueue(fd int) (queued, size uint32, err error) {
	return 0, 0, ErrNotSupported
}
