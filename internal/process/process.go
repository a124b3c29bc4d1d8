// Package process is the development Supervisor: it runs each instance's
// server as a child process of left4me (for `left4me demo` and tests), with
// the same overlay code and the same instance.env as the systemd unit.
//
// As root the overlay is mounted in the host's mount namespace before the
// server starts and unmounted after it exits, like the unit's ExecStartPost
// and ExecStopPost. As an ordinary user the server runs in a new user and
// mount namespace (the current binary is re-executed, see ChildEnv and
// ChildMain), where the overlay is mounted with the userxattr option; the
// mount lives and dies with the server.
//
// Servers do not outlive the process that started them, and a new panel
// clears what an old one left behind (docs/lifecycle.md, "Children of a
// dead panel"): each server gets a parent-death signal and a marker in its
// environment (package orphan), and Reap, run when a panel starts, kills
// the marked processes of the state root whose owner died and unmounts
// their overlays.
package process

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/lines"
	"github.com/left4me/left4me/internal/overlay"
	"github.com/left4me/left4me/internal/process/orphan"
)

// Defaults of Config.
const (
	DefaultIP          = "0.0.0.0"
	DefaultLogLines    = 2000
	DefaultStopTimeout = 15 * time.Second // as the unit's TimeoutStopSec (docs/lifecycle.md rule 10)
)

// Config configures a Supervisor.
type Config struct {
	Root layout.Root
	// IP is passed as +ip (DefaultIP when empty).
	IP string
	// LogLines is how many console lines are kept per instance.
	LogLines int
	// StopTimeout is how long Stop waits after SIGINT before SIGKILL.
	StopTimeout time.Duration
	// UserNamespace runs every server in its own user and mount namespace
	// even as root (ordinary users always do).
	UserNamespace bool
	// Logger receives operational messages; nil discards them.
	Logger *slog.Logger
	// Env is the environment servers start from, as os.Environ gives it
	// (the command passes its own): left4me's own variables are removed
	// (serverEnv). Nil starts them with an empty environment. This package
	// reads no environment of its own.
	Env []string
}

// Supervisor runs instances as child processes. It implements
// instance.Supervisor and instance.LogReader.
type Supervisor struct {
	cfg  Config
	log  *slog.Logger
	mu   sync.Mutex
	proc map[string]*proc
	logs map[string]*ring
	// owner is this process, named in every server's marker (ownerErr
	// when it could not be read: then nothing starts).
	owner    orphan.Owner
	ownerErr error
}

var (
	_ instance.Supervisor = (*Supervisor)(nil)
	_ instance.LogReader  = (*Supervisor)(nil)
)

type proc struct {
	state     instance.State
	since     time.Time
	pid       int
	stopping  bool
	done      chan struct{} // closed when the child exited and was cleaned up
	hostMount bool          // we mounted in the host namespace: unmount after exit
}

// New returns a Supervisor.
func New(cfg Config) *Supervisor {
	if cfg.IP == "" {
		cfg.IP = DefaultIP
	}
	if cfg.LogLines <= 0 {
		cfg.LogLines = DefaultLogLines
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = DefaultStopTimeout
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	owner, err := orphan.Self()
	return &Supervisor{cfg: cfg, log: lg, proc: map[string]*proc{}, logs: map[string]*ring{}, owner: owner, ownerErr: err}
}

func (s *Supervisor) ringLocked(name string) *ring {
	r, ok := s.logs[name]
	if !ok {
		r = newRing(s.cfg.LogLines)
		s.logs[name] = r
	}
	return r
}

func (s *Supervisor) ring(name string) *ring {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ringLocked(name)
}

func (s *Supervisor) useUserNamespace() bool {
	return s.cfg.UserNamespace || os.Geteuid() != 0
}

// Status reports the child's state; an instance never started is Stopped.
func (s *Supervisor) Status(ctx context.Context, name string) (instance.Status, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.proc[name]
	if !ok {
		return instance.Status{State: instance.Stopped}, nil
	}
	return instance.Status{State: p.state, Since: p.since}, nil
}

// Start mounts the instance's overlay and starts merged/srcds_run with the
// unit's command line (serverArgv) from merged/left4dead2, reading ports and
// arguments from instance.env as the unit does. It returns once the server process runs. Starting a running
// instance does nothing.
func (s *Supervisor) Start(ctx context.Context, name string) error {
	if err := layout.ValidateName(name); err != nil {
		return err
	}
	s.mu.Lock()
	p := s.proc[name]
	if p != nil && (p.state == instance.Running || p.state == instance.Starting) {
		s.mu.Unlock()
		return nil
	}
	if p != nil && p.state == instance.Stopping {
		done := p.done
		s.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
		s.mu.Lock()
	}
	p = &proc{state: instance.Starting, since: time.Now(), done: make(chan struct{})}
	s.proc[name] = p
	logs := s.ringLocked(name)
	s.mu.Unlock()

	err := s.launch(ctx, name, p, logs)
	if err != nil {
		s.mu.Lock()
		p.state, p.since = instance.Failed, time.Now()
		s.mu.Unlock()
		close(p.done)
		logs.add("left4me: start failed: " + err.Error())
		return fmt.Errorf("start %s: %w", name, err)
	}
	return nil
}

// launch mounts (as root) or prepares the namespace child, starts it and
// the goroutines that collect its output and wait for it.
func (s *Supervisor) launch(ctx context.Context, name string, p *proc, logs *ring) (err error) {
	root := s.cfg.Root
	env, err := overlay.ReadEnvFile(root.InstanceEnv(name))
	if err != nil {
		return err
	}
	argv, err := serverArgv(root.Merged(name), s.cfg.IP, env)
	if err != nil {
		return err
	}
	dir := filepath.Join(root.Merged(name), "left4dead2")
	if s.ownerErr != nil {
		return s.ownerErr
	}
	cmdEnv, err := orphan.Mark(serverEnv(s.cfg.Env), s.owner, root.String(), name)
	if err != nil {
		return err
	}

	var cmd *exec.Cmd
	var syncR *os.File
	if s.useUserNamespace() {
		spec, err := json.Marshal(childSpec{Mode: modeRun, Root: root.String(), Name: name, Argv: argv, Dir: dir})
		if err != nil {
			return err
		}
		var syncW *os.File
		syncR, syncW, err = os.Pipe()
		if err != nil {
			return err
		}
		defer syncR.Close()
		cmd = namespaceCommand(string(spec), cmdEnv)
		cmd.ExtraFiles = []*os.File{syncW}
		defer syncW.Close()
	} else {
		// NOTE: docs/lifecycle.md rule 1 — the same overlay code as the helper
		// the unit's ExecStartPost runs, here in this process as root.
		plan, err := overlay.Load(root, name)
		if err != nil {
			return err
		}
		if _, err := overlay.Mount(plan, overlay.MountOptions{}); err != nil {
			return err
		}
		p.hostMount = true
		defer func() {
			if err != nil {
				s.unmount(name)
			}
		}()
		cmd = exec.Command(argv[0], argv[1:]...)
		cmd.Dir = dir
		cmd.Env = cmdEnv
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	}

	outR, outW, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = outW, outW
	// A parent-death signal from a locked thread (package orphan): a
	// server never outlives this process.
	waitCmd, err := orphan.Start(cmd)
	if err != nil {
		outR.Close()
		outW.Close()
		return err
	}
	outW.Close()
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		defer outR.Close()
		lines.Read(outR, maxLineBytes, logs.add)
	}()

	if syncR != nil {
		// The child reports "ok" once its overlay is mounted, just before
		// it execs srcds_run; anything else is why it failed.
		cmd.ExtraFiles[0].Close()
		msg, _ := io.ReadAll(io.LimitReader(syncR, 4096))
		if strings.TrimSpace(string(msg)) != "ok" {
			waitCmd()
			<-readerDone
			why := strings.TrimSpace(string(msg))
			if why == "" {
				why = "the namespace child exited before mounting"
			}
			return errors.New(why)
		}
	}

	s.mu.Lock()
	p.pid = cmd.Process.Pid
	p.state, p.since = instance.Running, time.Now()
	if p.stopping {
		// Stop was called while we were starting.
		p.state = instance.Stopping
		syscall.Kill(-p.pid, syscall.SIGINT)
	}
	s.mu.Unlock()
	logs.add(fmt.Sprintf("left4me: started %s (pid %d)", strings.Join(argv, " "), cmd.Process.Pid))
	s.log.Info("server started", "instance", name, "pid", cmd.Process.Pid)

	go s.wait(name, p, waitCmd, logs, readerDone)
	return nil
}

// wait reaps the child, cleans up its mount and records the outcome.
func (s *Supervisor) wait(name string, p *proc, waitCmd func() error, logs *ring, readerDone <-chan struct{}) {
	werr := waitCmd()
	// Output may still be buffered in the pipe; do not wait forever for
	// grandchildren that kept it open.
	select {
	case <-readerDone:
	case <-time.After(2 * time.Second):
	}
	s.mu.Lock()
	pgid := p.pid
	s.mu.Unlock()
	waitGroupGone(pgid, groupExitLimit)
	var cleanupErr error
	if p.hostMount {
		cleanupErr = s.unmount(name)
	} else {
		cleanupErr = removeWorkWork(s.cfg.Root.Work(name))
	}
	s.mu.Lock()
	switch {
	case cleanupErr != nil:
		p.state = instance.Failed
	case p.stopping:
		p.state = instance.Stopped
	case werr != nil:
		p.state = instance.Failed
	default:
		p.state = instance.Stopped
	}
	p.since = time.Now()
	state := p.state
	s.mu.Unlock()
	msg := "exited"
	if werr != nil {
		msg = werr.Error()
	}
	logs.add(fmt.Sprintf("left4me: server %s (%s)", msg, state))
	if cleanupErr != nil {
		logs.add("left4me: " + cleanupErr.Error())
		s.log.Error("cleanup after server exit", "instance", name, "err", cleanupErr)
	}
	s.log.Info("server exited", "instance", name, "state", state, "status", msg)
	close(p.done)
}

// unmount is the ExecStopPost of the root mode.
func (s *Supervisor) unmount(name string) error {
	plan, err := overlay.LoadUnmount(s.cfg.Root, name)
	if err != nil {
		return err
	}
	_, err = overlay.Unmount(plan)
	return err
}

// removeWorkWork removes the work/work directory the kernel created inside
// the namespace (owned by us, mode 000), as the helper does after umount
// (docs/lifecycle.md rule 7), so that reset and delete can remove the tree.
func removeWorkWork(work string) error {
	ww := filepath.Join(work, "work")
	if _, err := os.Lstat(ww); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	filepath.WalkDir(ww, func(path string, d os.DirEntry, err error) error {
		if d != nil && d.IsDir() {
			os.Chmod(path, 0o700)
		} else if err != nil {
			os.Chmod(path, 0o700)
		}
		return nil
	})
	os.Chmod(ww, 0o700)
	if err := os.RemoveAll(ww); err != nil {
		return fmt.Errorf("remove %s: %w", ww, err)
	}
	return nil
}

// Stop sends SIGINT to the server's process group, waits up to StopTimeout,
// then SIGKILLs it; it returns once the child exited and its overlay is
// unmounted. Stopping a stopped instance does nothing.
func (s *Supervisor) Stop(ctx context.Context, name string) error {
	s.mu.Lock()
	p := s.proc[name]
	if p == nil {
		s.mu.Unlock()
		return nil
	}
	done := p.done
	switch p.state {
	case instance.Starting:
		// launch sends SIGINT as soon as the process exists.
		p.stopping = true
	case instance.Running:
		p.stopping = true
		p.state, p.since = instance.Stopping, time.Now()
		if err := syscall.Kill(-p.pid, syscall.SIGINT); err != nil && !errors.Is(err, syscall.ESRCH) {
			s.log.Warn("SIGINT failed", "instance", name, "err", err)
		}
	}
	s.mu.Unlock()

	timer := time.NewTimer(s.cfg.StopTimeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		s.ring(name).add("left4me: server did not stop within " + s.cfg.StopTimeout.String() + ": killing it")
		s.mu.Lock()
		pid := p.pid
		s.mu.Unlock()
		if pid > 0 { // never kill(0, …): that is our own process group
			syscall.Kill(-pid, syscall.SIGKILL)
		}
		select {
		case <-done:
		case <-ctx.Done():
			return fmt.Errorf("stop %s: %w", name, ctx.Err())
		}
	case <-ctx.Done():
		return fmt.Errorf("stop %s: %w", name, ctx.Err())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.state == instance.Failed && p.stopping {
		return fmt.Errorf("stop %s: cleanup after exit failed (see its log)", name)
	}
	return nil
}

// Restart stops and starts the instance.
func (s *Supervisor) Restart(ctx context.Context, name string) error {
	if err := s.Stop(ctx, name); err != nil {
		return err
	}
	return s.Start(ctx, name)
}

// Shutdown stops every running server (for the end of a demo or test).
func (s *Supervisor) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	var names []string
	for n, p := range s.proc {
		if p.state == instance.Running || p.state == instance.Starting || p.state == instance.Stopping {
			names = append(names, n)
		}
	}
	s.mu.Unlock()
	var errs []error
	for _, n := range names {
		if err := s.Stop(ctx, n); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Tail returns up to the last n console lines of the instance, oldest first.
func (s *Supervisor) Tail(ctx context.Context, name string, n int) ([]string, error) {
	return s.ring(name).tail(n), nil
}

// Follow calls fn with every new console line until ctx is done. A follower
// that falls behind loses lines; the server is never blocked.
func (s *Supervisor) Follow(ctx context.Context, name string, fn func(line string)) error {
	ch, cancel := s.ring(name).subscribe()
	defer cancel()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case line := <-ch:
			fn(line)
		}
	}
}

// serverEnv is the environment of a server: base without left4me's own
// variables (secrets such as LEFT4ME_ADMIN_PASSWORD stay out). It is never
// nil: a nil exec.Cmd.Env would inherit this process's environment whole.
func serverEnv(base []string) []string {
	env := []string{}
	for _, kv := range base {
		if strings.HasPrefix(kv, "LEFT4ME_") || strings.HasPrefix(kv, "DATABASE_URL=") || strings.HasPrefix(kv, "STEAM_WEB_API_KEY=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}
