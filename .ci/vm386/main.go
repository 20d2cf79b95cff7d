// Command vm386init is the init process of the virtual machine in which CI
// runs the linux/386 tests: it mounts what the tests use (proc, sysfs,
// devtmpfs, tmpfs on /tmp and /dev/shm, cgroup2, the loopback network), runs every test binary
// in /tests with init's arguments (what the kernel command line has after
// "--"),
// prints "vm386: exit N" with the first failure's status (0 if all passed),
// and powers the machine off.
package main

import (
	"cmp"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"unsafe"
)

func main() {
	fmt.Printf("vm386: exit %d\n", run())
	syscall.Sync()
	syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
}

func run() int {
	for _, m := range []struct{ fs, dir, data string }{
		{"proc", "/proc", ""},
		{"sysfs", "/sys", ""},
		{"devtmpfs", "/dev", ""},
		{"tmpfs", "/dev/shm", "mode=1777"},
		{"tmpfs", "/tmp", "mode=1777"},
		{"cgroup2", "/sys/fs/cgroup", ""},
	} {
		os.MkdirAll(m.dir, 0o755)
		if err := syscall.Mount(m.fs, m.dir, m.fs, 0, m.data); err != nil {
			fmt.Printf("vm386: mount %s on %s: %v\n", m.fs, m.dir, err)
			return 1
		}
	}
	if err := loopbackUp(); err != nil {
		fmt.Printf("vm386: bringing up lo: %v\n", err)
		return 1
	}
	os.Setenv("PATH", "/bin")
	os.Setenv("HOME", "/tmp")
	os.Setenv("TMPDIR", "/tmp")
	args := os.Args[1:]
	tests, _ := filepath.Glob("/tests/*.test")
	if len(tests) == 0 {
		fmt.Println("vm386: no test binaries in /tests")
		return 1
	}
	status := 0
	for _, t := range tests {
		name := strings.TrimSuffix(filepath.Base(t), ".test")
		fmt.Printf("vm386: running %s %s\n", name, strings.Join(args, " "))
		cmd := exec.Command(t, args...)
		cmd.Dir = "/tmp"
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stdout
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
			if code < 0 { // killed by a signal
				code = 128
			}
		} else if err != nil {
			code = 1
		}
		fmt.Printf("vm386: %s: %v\n", name, cmp.Or[any](err, "ok"))
		if code != 0 && status == 0 {
			status = code
		}
	}
	return status
}

// loopbackUp sets lo up, as ip link set lo up does, so that tests can
// listen on and dial 127.0.0.1.
func loopbackUp() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	var ifr struct {
		name  [syscall.IFNAMSIZ]byte
		flags uint16
		_     [22]byte
	}
	copy(ifr.name[:], "lo")
	ifr.flags = syscall.IFF_UP | syscall.IFF_RUNNING
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCSIFFLAGS, uintptr(unsafe.Pointer(&ifr))); e != 0 {
		return e
	}
	return nil
}
