package sys

// inheritsNonblock reports whether an accepted socket takes the listening
// socket's O_NONBLOCK: never on Linux.
const inheritsNonblock = false

// pollRdHup asks poll to report a peer that shut its end down.
const pollRdHup = 0x2000 // POLLRDHUP
