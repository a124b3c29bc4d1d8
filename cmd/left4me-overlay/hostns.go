package main

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// nsenterPath is the util-linux nsenter the helper re-executes itself
// through to reach PID 1's mount namespace.
const nsenterPath = "/usr/bin/nsenter"

// printOnlyEnv makes the helper validate and print instead of mounting.
const printOnlyEnv = "LEFT4ME_OVERLAY_PRINT_ONLY"

// hostEnv is the complete environment the helper hands to nsenter and to
// its re-executed self: a fixed PATH and the unit's main process id, nothing
// else (the state root comes from the settings file, rootFromConfig).
//
// NOTE: systemd gives every command of the server unit, the "+" ones
// included, the variables of instances/NAME/instance.env, a file the
// unprivileged service user writes. nsenter is dynamically linked and runs
// as root without AT_SECURE, so an LD_PRELOAD, LD_AUDIT or GLIBC_TUNABLES
// line there would run the service user's code as root. The unit therefore
// starts this static binary directly, and only this allowlist reaches the
// dynamic loader.
func hostEnv(getenv func(string) string) []string {
	env := []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	// The unit's main process id, digits only; the next stage checks that
	// the process is the unit's (unitMountNS).
	pid := getenv(mainPIDEnv)
	if pid == "" {
		pid = getenv("MAINPID")
	}
	if pid != "" && strings.Trim(pid, "0123456789") == "" && len(pid) <= 10 {
		env = append(env, mainPIDEnv+"="+pid)
	}
	return env
}

// sameMountNS reports whether the mount namespace links a and b name the
// same namespace.
func sameMountNS(a, b string) (bool, error) {
	var sa, sb unix.Stat_t
	if err := unix.Stat(a, &sa); err != nil {
		return false, fmt.Errorf("stat %s: %w", a, err)
	}
	if err := unix.Stat(b, &sb); err != nil {
		return false, fmt.Errorf("stat %s: %w", b, err)
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino, nil
}

// enterHostMountNS re-executes the helper through nsenter in PID 1's mount
// namespace, with the environment cut down to hostEnv, unless it already
// runs there (docs/lifecycle.md rule 2). It returns only when no re-execution is
// needed or possible: when PID 1's namespace cannot even be inspected (not
// root) the helper goes on where it is, and its mount fails there if it must.
func enterHostMountNS(args []string, getenv func(string) string) error {
	same, err := sameMountNS("/proc/self/ns/mnt", "/proc/1/ns/mnt")
	if err != nil || same {
		return nil
	}
	if getenv(printOnlyEnv) != "" {
		// Under systemd this variable could only come from instance.env;
		// it must not turn the unit's mount into a no-op.
		return fmt.Errorf("%s is honoured only in PID 1's mount namespace", printOnlyEnv)
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable to re-run in PID 1's mount namespace: %w", err)
	}
	argv := append([]string{"nsenter", "--mount=/proc/1/ns/mnt", "--", exe}, args...)
	err = unix.Exec(nsenterPath, argv, hostEnv(getenv))
	return fmt.Errorf("run %s to enter PID 1's mount namespace: %w", nsenterPath, err)
}
