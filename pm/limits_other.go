//go:build !linux

package pm

import "os/exec"

// limitsSupported: only Linux sets a worker's limits from the master.
const limitsSupported = false

func (l processLimits) startNiced(cmd *exec.Cmd) error { return cmd.Start() }

func (l processLimits) setRlimits(int) error { return nil }

func (l processLimits) takeForMaster() error { return nil }
