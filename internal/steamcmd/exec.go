package steamcmd

import (
	"context"
	"os/exec"
	"syscall"
	"time"
)

// execCommand returns a command in its own process group that is killed,
// with every process of the group (steamcmd.sh starts the real binary as a
// child), when ctx ends.
func execCommand(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 10 * time.Second
	return cmd
}
