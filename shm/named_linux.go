package shm

// namedDir holds the named segments: a tmpfs.
var namedDir = "/dev/shm"
