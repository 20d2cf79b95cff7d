//go:build unix && !linux

package sys

// pollRdHup is 0 where poll has no POLLRDHUP: a hang-up then shows as
// readable end of file.
const pollRdHup = 0
