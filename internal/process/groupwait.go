package process

import (
	"errors"
	"syscall"
	"time"
)

// groupExitLimit bounds how long wait waits for the rest of a server's
// process group after its first process exited.
const groupExitLimit = 5 * time.Second

// waitGroupGone waits up to limit until no process of the group pgid is
// left. Stop's SIGKILL reaches srcds_run and the engine together, but an
// engine stopped with SIGSTOP (a frozen server, which the watchdog
// restarts) is torn down a moment after srcds_run was reaped, and until
// then its working directory keeps the overlay busy: the unmount that
// follows would fail as the unit's ExecStopPost would if systemd did not
// wait for the whole cgroup (docs/lifecycle.md rule 3).
func waitGroupGone(pgid int, limit time.Duration) {
	if pgid <= 0 { // never kill(0, …): that is our own process group
		return
	}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
