//go:build !linux

package pm

import "os/exec"

// dieWithMaster does nothing here: only Linux has a parent-death signal.
// Workers still exit when the master dies, by watching their pipe.
func dieWithMaster(cmd *exec.Cmd) {}
