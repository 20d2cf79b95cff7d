package shm

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// handedBacking is the backing of segments handed between processes.
const handedBacking = BackingMemfd

// memfdName is the name Alloc gives the memfd of segment name, made by
// process pid with tag: "NAME:PID:TAG", the pid in decimal and the tag in
// hex, such as "scoreboard.www:4242:46504d53". The kernel keeps it with
// the memfd, shows it in /proc/<pid>/fd ("/memfd:NAME:PID:TAG (deleted)")
// and lets no process change it, so it is where the segment's creator and
// tag live. It fits the kernel's 249 bytes: a name has at most 200, ':'
// is not one of its characters.
func memfdName(name string, pid int, tag uint64) string {
	var buf [maxNameLen + 40]byte // room for both numbers: one allocation
	b := append(append(buf[:0], name...), ':')
	b = append(strconv.AppendInt(b, int64(pid), 10), ':')
	return string(strconv.AppendUint(b, tag, 16))
}

// parseMemfdName splits a memfd's name made by memfdName; ok is false
// for any other name.
func parseMemfdName(s string) (name string, pid int, tag uint64, ok bool) {
	f := strings.Split(s, ":")
	if len(f) != 3 || checkName(f[0]) != nil {
		return "", 0, 0, false
	}
	pid, pidOK := parseDecimal(f[1], math.MaxInt32)
	tagOK := f[2] != "" && len(f[2]) <= 16 && (f[2] == "0" || f[2][0] != '0') &&
		strings.Trim(f[2], "0123456789abcdef") == ""
	if !pidOK || !tagOK {
		return "", 0, 0, false
	}
	tag, err := strconv.ParseUint(f[2], 16, 64)
	return f[0], pid, tag, err == nil
}

// memfdTarget is what /proc/<pid>/fd shows for a memfd named memfd.
func memfdTarget(memfd string) string { return "/memfd:" + memfd + " (deleted)" }

// cutMemfdTarget returns the memfd name in a /proc/<pid>/fd link's
// target; ok is false when the link is not to a memfd.
func cutMemfdTarget(target string) (memfd string, ok bool) {
	memfd, ok = strings.CutPrefix(target, "/memfd:")
	if ok {
		memfd, ok = strings.CutSuffix(memfd, " (deleted)")
	}
	return memfd, ok
}

// mapHanded maps fd, the memfd of segment name that another process made,
// with prot, after checking everything it says about itself (memfdHeader);
// want is the size the caller was told, 0 for any. On failure nothing is
// mapped and fd stays open; on success the Segment holds fd but is neither
// named, counted nor linked.
func mapHanded(fd int, name string, prot Prot, want int, mismatch *kindError) (*Segment, string, error) {
	h, detail, err := memfdHeader(fd, name, want, mismatch)
	if err != nil {
		return nil, detail, err
	}
	maplen, _ := allocLen(h.Size) // memfdHeader checked that it fits
	base, err := sys.Mmap(0, uintptr(maplen), int(prot), sys.MapShared, fd, 0)
	if err != nil {
		return nil, fmt.Sprintf("mmap of fd %d, %d bytes, %s", fd, maplen, prot), err
	}
	return takenSegment(base, uintptr(maplen), fd, prot, h), "", nil
}

// memfdHeader returns the description of segment name that memfd fd
// carries in what the kernel keeps and no process can change: its seals
// (sealed against shrinking and growing, the seal set frozen), its name
// (NAME:PID:TAG, see memfdName, read from /proc/self/fd), its size (the
// segment's Len: want, if not 0) and its birth time. A descriptor that is
// not open, not a memfd, not sealed so, of another name or of another size
// fails with mismatch; a memfd of that name whose name holds no valid pid
// and tag, with ErrHeader.
func memfdHeader(fd int, name string, want int, mismatch *kindError) (Header, string, error) {
	seals, err := sys.Seals(fd)
	switch {
	case errors.Is(err, syscall.EBADF):
		return Header{}, fmt.Sprintf("fd %d is not open", fd), withErrno(mismatch, err)
	case errors.Is(err, syscall.EINVAL):
		return Header{}, fmt.Sprintf("fd %d is not a memfd (F_GET_SEALS: %v)", fd, err), mismatch
	case err != nil:
		return Header{}, fmt.Sprintf("fcntl(F_GET_SEALS) of fd %d: %v", fd, err), withErrno(mismatch, err)
	case seals&completeSeals != completeSeals:
		return Header{}, fmt.Sprintf("memfd fd %d is not sealed against shrinking and growing with its seals frozen (seals %#x): it is still being made, or not by fpmshm", fd, seals), mismatch
	}
	link := fmt.Sprintf("/proc/self/fd/%d", fd)
	target, err := os.Readlink(link)
	if err != nil {
		return Header{}, fmt.Sprintf("cannot read the memfd's name, which holds its creator and tag, from %s: %v", link, err), withErrno(mismatch, err)
	}
	memfd, _ := cutMemfdTarget(target)
	segment, pid, tag, ok := parseMemfdName(memfd)
	switch {
	case memfd != name && !strings.HasPrefix(memfd, name+":"):
		return Header{}, fmt.Sprintf("fd %d is %q, not the memfd of segment %q", fd, target, name), mismatch
	case !ok || segment != name:
		return Header{}, fmt.Sprintf("memfd fd %d is named %q, not %q followed by its creator's pid and its tag (NAME:PID:TAG)", fd, memfd, name), ErrHeader
	}
	st, err := sys.Fstat(fd)
	if err != nil {
		return Header{}, fmt.Sprintf("statx of fd %d: %v", fd, err), withErrno(mismatch, err)
	}
	size := st.Size
	if st.Mode&sys.ModeType != sys.ModeRegular || size <= 0 || size > math.MaxInt {
		return Header{}, fmt.Sprintf("memfd fd %d is %d bytes long (mode %#o): no segment this process can map", fd, size, st.Mode), mismatch
	}
	if _, fits := allocLen(int(size)); !fits {
		return Header{}, fmt.Sprintf("memfd fd %d is %d bytes long: no segment this process can map", fd, size), mismatch
	}
	if want > 0 && size != int64(want) {
		return Header{}, fmt.Sprintf("memfd fd %d is %d bytes long, not the %d bytes %s says", fd, size, want, EnvSegments), mismatch
	}
	return Header{
		Version:    headerVersion,
		Size:       int(size),
		PageSize:   pageSize,
		CreatorPID: pid,
		Tag:        tag,
		Created:    st.Born,
	}, "", nil
}

// creationPatience bounds how long Attach waits for a segment that another
// process is still making: its creator is between two system calls, so
// only a stopped process keeps it waiting that long.
const creationPatience = time.Second

// awaitSeals waits, up to creationPatience, until memfd fd has its seal
// set frozen, the sign that its creator has sized it (see seal). Whatever
// it then finds, memfdHeader judges.
func awaitSeals(fd int) {
	for deadline := time.Now().Add(creationPatience); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		seals, err := sys.Seals(fd)
		if err != nil || seals&sys.SealSeal != 0 {
			return
		}
	}
}
