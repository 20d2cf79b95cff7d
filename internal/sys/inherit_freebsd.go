package sys

// inheritsNonblock reports whether an accepted socket takes the listening
// socket's O_NONBLOCK: FreeBSD's accept4 does unless told otherwise.
const inheritsNonblock = true
