package shm

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// EnvSegments is the environment variable that tells a child which of its
// descriptors carries which segment: comma-separated entries
// "name:fd:size", where fd is the child's descriptor number (3 or more) and
// size the segment's Len. ShareWith writes it; Inherited reads it.
//
//	FPMSHM_SEGMENTS=scoreboard:4:3632,requests:5:65536
const EnvSegments = "FPMSHM_SEGMENTS"

// maxFD bounds the descriptor numbers EnvSegments may name.
const maxFD = 1 << 30

// ShareWith hands the segment to the child that cmd will start: it appends
// the segment's descriptor to cmd.ExtraFiles (entry i becomes descriptor
// 3+i in the child, after whatever cmd.ExtraFiles already holds) and
// records name, descriptor and size in cmd's EnvSegments variable, so that
// the child takes the segment up with Inherited(s.Name()). If cmd.Env is
// nil, it starts from os.Environ() without this process's own EnvSegments.
//
// A segment can be shared with any number of commands, and a command can
// carry several segments of different names. The segment must stay live
// until cmd.Start has returned; after that, Free in the parent does not
// affect the child.
//
// Only Alloc's and Inherited's segments can be shared (ErrNotShareable).
// Two segments of one name on one command, or an EnvSegments already in
// cmd.Env that does not describe cmd.ExtraFiles, are refused with ErrName
// or ErrHandOver. Errors are *Error with Op "share".
func (s *Segment) ShareWith(cmd *exec.Cmd) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.liveLocked("share"); err != nil {
		return err
	}
	if cmd == nil {
		return s.fail("share", ErrHandOver, "nil *exec.Cmd")
	}
	if s.fd < 0 || (s.backing != BackingMemfd && s.backing != BackingTempFile) {
		return s.fail("share", ErrNotShareable, fmt.Sprintf("%s segment without a descriptor to pass", s.backing))
	}
	env := cmd.Env
	if env == nil {
		env = withoutSegments(os.Environ())
	}
	entries, err := cmdEntries(cmd, env)
	if err != nil {
		return s.fail("share", ErrHandOver, err.Error())
	}
	for _, e := range entries {
		if e.name == s.name {
			return s.fail("share", ErrName, fmt.Sprintf("the command already carries a segment named %q, as fd %d", e.name, e.fd))
		}
	}
	if s.file == nil {
		s.file = os.NewFile(uintptr(s.fd), "memfd:"+s.name)
	}
	entries = append(entries, handed{s.name, 3 + len(cmd.ExtraFiles), len(s.data)})
	cmd.ExtraFiles = append(cmd.ExtraFiles, s.file)
	cmd.Env = append(withoutSegments(env), EnvSegments+"="+formatEntries(entries))
	return nil
}

// handed is one entry of EnvSegments.
type handed struct {
	name string
	fd   int
	size int
}

func (h handed) String() string { return fmt.Sprintf("%s:%d:%d", h.name, h.fd, h.size) }

func formatEntries(entries []handed) string {
	parts := make([]string, len(entries))
	for i, e := range entries {
		parts[i] = e.String()
	}
	return strings.Join(parts, ",")
}

// cmdEntries parses the EnvSegments of env (the last one wins, as for
// exec) and checks that each names one of cmd.ExtraFiles.
func cmdEntries(cmd *exec.Cmd, env []string) ([]handed, error) {
	value := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, EnvSegments+"="); ok {
			value = v
		}
	}
	if value == "" {
		return nil, nil
	}
	entries, err := parseEntries(value)
	if err != nil {
		return nil, fmt.Errorf("%s already in cmd.Env: %v", EnvSegments, err)
	}
	for _, e := range entries {
		if i := e.fd - 3; i >= len(cmd.ExtraFiles) || cmd.ExtraFiles[i] == nil {
			return nil, fmt.Errorf("%s already in cmd.Env names fd %d for %q, which cmd.ExtraFiles does not hold", EnvSegments, e.fd, e.name)
		}
	}
	return entries, nil
}

// withoutSegments returns env without its EnvSegments entries.
func withoutSegments(env []string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, EnvSegments+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// parseEntries parses an EnvSegments value strictly: every entry
// name:fd:size with a valid name, fd at least 3, a size Alloc could have
// made, no name or descriptor twice.
func parseEntries(value string) ([]handed, error) {
	var entries []handed
	names, fds := map[string]bool{}, map[int]bool{}
	for i, entry := range strings.Split(value, ",") {
		e, err := parseEntry(entry)
		if err != nil {
			return nil, fmt.Errorf("entry %d %q: %v", i+1, entry, err)
		}
		if names[e.name] || fds[e.fd] {
			return nil, fmt.Errorf("entry %d %q: name or fd listed twice", i+1, entry)
		}
		names[e.name], fds[e.fd] = true, true
		entries = append(entries, e)
	}
	return entries, nil
}

// parseEntry parses one name:fd:size.
func parseEntry(entry string) (handed, error) {
	f := strings.Split(entry, ":")
	if len(f) != 3 {
		return handed{}, fmt.Errorf("want name:fd:size")
	}
	if err := checkName(f[0]); err != nil {
		return handed{}, err
	}
	fd, ok := parseDecimal(f[1], maxFD)
	if !ok || fd < 3 {
		return handed{}, fmt.Errorf("fd %q is not a decimal number from 3 to %d", f[1], maxFD)
	}
	size, ok := parseDecimal(f[2], math.MaxInt)
	if _, fits := allocLen(size); !ok || !fits {
		return handed{}, fmt.Errorf("size %q is not a decimal number of bytes that a segment can hold", f[2])
	}
	return handed{f[0], fd, size}, nil
}

// parseDecimal parses digits only, without sign or leading zeros, up to max.
func parseDecimal(s string, max int) (int, bool) {
	if s == "" || s[0] < '1' || s[0] > '9' || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n <= max
}
