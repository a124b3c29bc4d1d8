package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// guestPath is PATH inside the guest.
const guestPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// container is one boot of the guest rootfs under systemd-nspawn.
//
// NOTE: nspawn runs with --register=no --keep-unit because PID 1 of the
// host is not necessarily systemd (no machined, no scope units); commands
// therefore reach the guest through nsenter on the guest's PID 1 rather
// than "systemd-run -M"/"machinectl". --private-network gives the guest its
// own loopback-only network namespace, so its game ports never collide with
// the host's; the harness queries servers by entering that namespace.
type container struct {
	dir     string
	console string // file receiving the guest's console output
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
	leader  int // the guest's PID 1, as a host PID
}

// boot starts the guest and waits until its systemd reports the system up.
func boot(ctx context.Context, dir, console string) (*container, error) {
	logf, err := os.OpenFile(console, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open console log: %w", err)
	}
	fmt.Fprintf(logf, "\n===== boot %s at %s =====\n", dir, time.Now().Format(time.RFC3339))
	// NOTE: the guest's systemd needs the unified cgroup hierarchy (the host
	// may mount a hybrid one), and bpf() plus CAP_BPF, to enforce
	// IPAddressDeny= and DevicePolicy= as on a real host; without them it
	// silently drops those settings.
	cmd := exec.Command("systemd-nspawn", "--boot", "--register=no", "--keep-unit",
		"--private-network", "--capability=CAP_BPF", "--system-call-filter=bpf",
		"--console=read-only", "-D", dir)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = []string{guestPath, "SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1"}
	// Its own process group: a terminal's ^C reaches the test, which then
	// powers the guest off in its cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start systemd-nspawn: %w", err)
	}
	c := &container{dir: dir, console: console, cmd: cmd, exited: make(chan struct{})}
	go func() {
		c.waitErr = cmd.Wait()
		logf.Close()
		close(c.exited)
	}()
	if err := c.waitLeader(ctx); err != nil {
		c.kill()
		return nil, err
	}
	if err := c.waitRunning(ctx); err != nil {
		c.kill()
		return nil, err
	}
	return c, nil
}

// waitLeader finds the guest's PID 1: the descendant of nspawn that
// executes systemd.
func (c *container) waitLeader(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-c.exited:
			return fmt.Errorf("systemd-nspawn exited during boot (%v); see %s", c.waitErr, c.console)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		for _, pid := range descendants(c.cmd.Process.Pid) {
			comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
			if strings.TrimSpace(string(comm)) == "systemd" {
				c.leader = pid
				return nil
			}
		}
	}
	return fmt.Errorf("guest systemd did not appear within 60s; see %s", c.console)
}

// descendants lists the children and grandchildren of pid.
func descendants(pid int) []int {
	var out []int
	queue := []int{pid}
	for len(queue) > 0 && len(out) < 64 {
		p := queue[0]
		queue = queue[1:]
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", p))
		for _, f := range tasks {
			b, _ := os.ReadFile(f)
			for _, s := range strings.Fields(string(b)) {
				if n, err := strconv.Atoi(s); err == nil {
					out = append(out, n)
					queue = append(queue, n)
				}
			}
		}
	}
	return out
}

// waitRunning polls "systemctl is-system-running" until the boot finished.
func (c *container) waitRunning(ctx context.Context) error {
	deadline := time.Now().Add(90 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		select {
		case <-c.exited:
			return fmt.Errorf("systemd-nspawn exited during boot (%v); see %s", c.waitErr, c.console)
		default:
		}
		out, _ := c.exec(ctx, nil, "systemctl", "is-system-running")
		last = strings.TrimSpace(out)
		switch last {
		case "running", "degraded":
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("guest did not finish booting within 90s (last state %q); see %s", last, c.console)
}

// exec runs a command as root in all of the guest's namespaces with a clean
// environment and returns its combined output.
func (c *container) exec(ctx context.Context, stdin []byte, argv ...string) (string, error) {
	args := append([]string{"-t", strconv.Itoa(c.leader), "-a", "--"}, argv...)
	cmd := exec.CommandContext(ctx, "nsenter", args...)
	cmd.Env = []string{guestPath, "LANG=C.UTF-8", "SYSTEMD_COLORS=0", "SYSTEMD_PAGER="}
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// asUser runs a command as user in the guest (runuser, no login shell).
func (c *container) asUser(ctx context.Context, user string, stdin []byte, argv ...string) (string, error) {
	return c.exec(ctx, stdin, append([]string{"runuser", "-u", user, "--"}, argv...)...)
}

// cliScript runs /usr/bin/left4me with the settings of /etc/left4me, the
// way the README tells an operator to run the CLI.
const cliScript = `set -a; . /etc/left4me/host.env; . /etc/left4me/web.env; set +a; exec /usr/bin/left4me "$@"`

// cli runs "left4me ARGS..." as user left4me in the guest.
func (c *container) cli(ctx context.Context, stdin []byte, args ...string) (string, error) {
	return c.asUser(ctx, "left4me", stdin, append([]string{"sh", "-c", cliScript, "left4me"}, args...)...)
}

// inNetNS runs f on an OS thread that has entered the guest's network
// namespace, so sockets f creates reach the guest's loopback.
func (c *container) inNetNS(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		// NOTE: the thread is never unlocked: it carries the guest's network
		// namespace and the runtime discards it when this goroutine ends.
		runtime.LockOSThread()
		fd, err := unix.Open(fmt.Sprintf("/proc/%d/ns/net", c.leader), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("open guest network namespace: %w", err)
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("enter guest network namespace: %w", err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// mounted reports whether path is a mount point in the guest PID 1's mount
// namespace (read from the host through /proc, no nsenter).
func (c *container) mounted(path string) (bool, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", c.leader))
	if err != nil {
		return false, fmt.Errorf("read guest mountinfo: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		fields := strings.Fields(line)
		if len(fields) > 4 && unescapeMount(fields[4]) == path {
			return true, nil
		}
	}
	return false, nil
}

func unescapeMount(s string) string {
	r := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)
	return r.Replace(s)
}

// path returns a guest path as seen from the host.
func (c *container) path(guest string) string { return filepath.Join(c.dir, guest) }

// reboot reboots the guest: nspawn exits when the guest reboots (status
// 133), and the same directory is booted again.
func (c *container) reboot(ctx context.Context) (*container, error) {
	_, _ = c.exec(ctx, nil, "systemctl", "reboot")
	select {
	case <-c.exited:
	case <-time.After(60 * time.Second):
		c.kill()
		return nil, errors.New("guest did not shut down within 60s of systemctl reboot")
	}
	return boot(ctx, c.dir, c.console)
}

// shutdown powers the guest off (SIGTERM to nspawn asks its init to halt)
// and kills it if it does not stop in time.
func (c *container) shutdown() {
	select {
	case <-c.exited:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(45 * time.Second):
		c.kill()
	}
}

func (c *container) kill() {
	_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
	}
}

// within reports an error unless cond becomes true before the timeout.
func within(ctx context.Context, timeout time.Duration, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	var lastErr error
	for {
		ok, err := cond()
		if ok && err == nil {
			return nil
		}
		lastErr = err
		if time.Now().After(deadline) {
			if lastErr != nil {
				return fmt.Errorf("%s: not within %s: %w", what, timeout, lastErr)
			}
			return fmt.Errorf("%s: not within %s", what, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
