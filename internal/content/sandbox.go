package content

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/process/orphan"
)

// Files of a build directory builds/<id>/ (the contract of
// deploy/systemd/left4me-build@.service and left4me-steamcmd@.service).
const (
	BuildScript = "build.sh"  // the bash script, run with /overlay as cwd
	BuildEnv    = "build.env" // KEY=VALUE environment of the script
	BuildOutput = "output"    // the only writable directory, bound at /overlay
	BuildLog    = "build.log" // the output as left4me saw it
)

// SandboxOverlay is where the build unit binds builds/<id>/output.
const SandboxOverlay = "/overlay"

// DefaultBuildTimeout bounds a build when the caller's context has no
// deadline (the unit's RuntimeMaxSec=3600 in production).
const DefaultBuildTimeout = time.Hour

// Unit templates of the build sandbox (deploy/systemd).
const (
	// BuildTemplate runs layer scripts: /overlay is its only writable
	// directory.
	BuildTemplate = "left4me-build"
	// SteamCmdTemplate runs steamcmd: the same sandbox, plus the state
	// root's steam/ directory bound writable at /steam (steamcmd updates
	// itself there). Layer scripts never run in it: steam/ holds the
	// steamclient.so every game server loads.
	SteamCmdTemplate = "left4me-steamcmd"
)

// BuildSpec is one run of a bash script in the build sandbox.
type BuildSpec struct {
	// ID names builds/<ID>/ and the unit <Template>@<ID>.service.
	ID string
	// Template is the unit template the script runs in: BuildTemplate
	// (also when empty) or SteamCmdTemplate. DevSandbox ignores it.
	Template string
	// Script is the bash script.
	Script []byte
	// Env is extra environment for the script (OVERLAY is set by the
	// sandbox to where it sees the output directory).
	Env map[string]string
}

// Sandbox runs a build script with builds/<id>/output as its only writable
// directory. Run returns nil only when the script exited 0.
type Sandbox interface {
	Run(ctx context.Context, root layout.Root, spec BuildSpec, line func(string)) error
}

var buildIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// NewBuildID returns a fresh build id "<kind>-<time>-<random>", usable as a
// systemd instance name.
func NewBuildID(kind string, now time.Time) string {
	var b [3]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%s-%s", kind, strings.ToLower(now.UTC().Format(genTimeFormat)), hex.EncodeToString(b[:]))
}

var envKeyPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// prepareBuild writes builds/<id>/build.sh and build.env (with OVERLAY set
// to overlayPath) and makes sure the output directory exists.
func prepareBuild(root layout.Root, spec BuildSpec, overlayPath string) (string, error) {
	if !buildIDPattern.MatchString(spec.ID) {
		return "", fmt.Errorf("build id %q: want 1-64 characters a-z, 0-9, '_' or '-'", spec.ID)
	}
	dir := root.Build(spec.ID)
	if err := os.MkdirAll(filepath.Join(dir, BuildOutput), 0o755); err != nil {
		return "", fmt.Errorf("prepare build %s: %w", spec.ID, err)
	}
	if err := os.WriteFile(filepath.Join(dir, BuildScript), spec.Script, 0o644); err != nil {
		return "", fmt.Errorf("prepare build %s: %w", spec.ID, err)
	}
	env := map[string]string{}
	for k, v := range spec.Env {
		env[k] = v
	}
	env["OVERLAY"] = overlayPath
	keys := make([]string, 0, len(env))
	for k := range env {
		if !envKeyPattern.MatchString(k) {
			return "", fmt.Errorf("prepare build %s: environment name %q is not valid", spec.ID, k)
		}
		if strings.ContainsAny(env[k], "\n\r\x00") {
			return "", fmt.Errorf("prepare build %s: environment value of %s has a line break or NUL", spec.ID, k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		// EnvironmentFile= syntax: double quotes, with \ and " escaped.
		v := strings.ReplaceAll(strings.ReplaceAll(env[k], `\`, `\\`), `"`, `\"`)
		fmt.Fprintf(&b, "%s=\"%s\"\n", k, v)
	}
	if err := os.WriteFile(filepath.Join(dir, BuildEnv), []byte(b.String()), 0o644); err != nil {
		return "", fmt.Errorf("prepare build %s: %w", spec.ID, err)
	}
	return dir, nil
}

// DevSandbox runs the script as a plain child process: bash build.sh with
// the output directory as working directory and $OVERLAY pointing to it.
//
// It is NOT a sandbox: the script runs with the caller's user, file system
// and network. It does not outlive the caller: bash gets a parent-death
// signal, and the script's processes carry the marker of package orphan
// (named "build/ID"), by which the process supervisor's Reap finds and kills
// what is left when the next panel starts (docs/lifecycle.md, "Children of
// a dead panel"). It exists for `left4me demo`, tests and development hosts
// without systemd; production uses SystemdSandbox.
type DevSandbox struct {
	// Bash is the shell; empty means "bash" from PATH.
	Bash string
	// Path is the script's PATH (the command passes its own); empty means
	// DefaultPath. This package reads no environment.
	Path string
}

// DefaultPath is a build script's PATH under DevSandbox when none is given.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Run implements Sandbox.
func (d DevSandbox) Run(ctx context.Context, root layout.Root, spec BuildSpec, line func(string)) error {
	out, err := filepath.Abs(filepath.Join(root.Build(spec.ID), BuildOutput))
	if err != nil {
		return err
	}
	dir, err := prepareBuild(root, spec, out)
	if err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultBuildTimeout)
		defer cancel()
	}
	bash := d.Bash
	if bash == "" {
		bash = "bash"
	}
	cmd := exec.CommandContext(ctx, bash, filepath.Join(dir, BuildScript))
	cmd.Dir = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	tmp, err := os.MkdirTemp("", "left4me-build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	path := d.Path
	if path == "" {
		path = DefaultPath
	}
	cmd.Env = []string{"PATH=" + path, "HOME=" + tmp, "TMPDIR=" + tmp, "LANG=C.UTF-8"}
	keys := make([]string, 0, len(spec.Env))
	for k := range spec.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		cmd.Env = append(cmd.Env, k+"="+spec.Env[k])
	}
	cmd.Env = append(cmd.Env, "OVERLAY="+out)
	owner, err := orphan.Self()
	if err != nil {
		return fmt.Errorf("run build %s: %w", spec.ID, err)
	}
	if cmd.Env, err = orphan.Mark(cmd.Env, owner, root.String(), "build/"+spec.ID); err != nil {
		return fmt.Errorf("run build %s: %w", spec.ID, err)
	}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	wait, err := orphan.Start(cmd)
	if err != nil {
		return fmt.Errorf("run build %s: %w", spec.ID, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		scanLines(pr, line)
	}()
	err = wait()
	pw.Close()
	<-done
	if ctx.Err() != nil {
		return fmt.Errorf("build %s: %w", spec.ID, ctx.Err())
	}
	if err != nil {
		return fmt.Errorf("build %s: script failed: %w", spec.ID, err)
	}
	return nil
}

func scanLines(r io.Reader, fn func(string)) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fn(strings.TrimRight(sc.Text(), "\r"))
	}
	io.Copy(io.Discard, r)
}

// UnitName returns the build unit of build id (template BuildTemplate).
func UnitName(id string) string { return BuildTemplate + "@" + id + ".service" }

// unitOf returns the unit spec runs in.
func unitOf(spec BuildSpec) (string, error) {
	switch spec.Template {
	case "", BuildTemplate:
		return UnitName(spec.ID), nil
	case SteamCmdTemplate:
		return SteamCmdTemplate + "@" + spec.ID + ".service", nil
	default:
		return "", fmt.Errorf("build %s: unknown sandbox unit template %q", spec.ID, spec.Template)
	}
}

// unitConn is the part of the systemd D-Bus connection the sandbox uses
// (*dbus.Conn of github.com/coreos/go-systemd/v22).
type unitConn interface {
	StartUnitContext(ctx context.Context, name, mode string, ch chan<- string) (int, error)
	StopUnitContext(ctx context.Context, name, mode string, ch chan<- string) (int, error)
	GetUnitPropertyContext(ctx context.Context, unit, name string) (*sddbus.Property, error)
	GetServicePropertyContext(ctx context.Context, service, name string) (*sddbus.Property, error)
}

// SystemdSandbox runs builds as left4me-build@<id>.service, or
// left4me-steamcmd@<id>.service for steamcmd (the static hardened templates
// of deploy/systemd), through systemd's D-Bus API and follows their output
// in the journal. It needs the polkit rule that lets the service user start
// and stop those units.
type SystemdSandbox struct {
	// JournalNamespace is the units' LogNamespace= ("left4me").
	JournalNamespace string
	// PollInterval is how often the unit's state is read; zero means 500 ms.
	PollInterval time.Duration

	mu   sync.Mutex
	conn *sddbus.Conn
	// Tests replace the bus connection and the journal reader.
	testConn   unitConn
	testFollow func(ctx context.Context, unit string, line func(string))
}

func (s *SystemdSandbox) connection(ctx context.Context) (unitConn, error) {
	if s.testConn != nil {
		return s.testConn, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil && s.conn.Connected() {
		return s.conn, nil
	}
	c, err := sddbus.NewSystemConnectionContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to systemd over the system bus: %w", err)
	}
	s.conn = c
	return c, nil
}

// Close closes the bus connection.
func (s *SystemdSandbox) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
	return nil
}

// Run implements Sandbox: it starts the unit, follows its journal, and
// waits until it is inactive again; the unit's Result decides. A cancelled
// ctx stops the unit.
func (s *SystemdSandbox) Run(ctx context.Context, root layout.Root, spec BuildSpec, line func(string)) error {
	unit, err := unitOf(spec)
	if err != nil {
		return err
	}
	if _, err := prepareBuild(root, spec, SandboxOverlay); err != nil {
		return err
	}
	c, err := s.connection(ctx)
	if err != nil {
		return err
	}
	jctx, stopJournal := context.WithCancel(context.WithoutCancel(ctx))
	journalDone := make(chan struct{})
	since := time.Now().Add(-time.Second)
	go func() {
		defer close(journalDone)
		if s.testFollow != nil {
			s.testFollow(jctx, unit, line)
			return
		}
		s.follow(jctx, unit, since, line)
	}()
	defer func() {
		// Let the journal catch up with the last lines, then stop following.
		if s.testFollow == nil {
			time.Sleep(time.Second)
		}
		stopJournal()
		<-journalDone
	}()

	ch := make(chan string, 1)
	if _, err := c.StartUnitContext(ctx, unit, "replace", ch); err != nil {
		return fmt.Errorf("start %s: %w", unit, err)
	}
	select {
	case r := <-ch:
		if r != "done" {
			return fmt.Errorf("start %s: job %s; see journalctl --namespace=%s -u %s", unit, r, s.JournalNamespace, unit)
		}
	case <-ctx.Done():
		s.stop(ctx, c, unit)
		return fmt.Errorf("start %s: %w", unit, ctx.Err())
	}
	poll := s.PollInterval
	if poll == 0 {
		poll = 500 * time.Millisecond
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.stop(ctx, c, unit)
			return fmt.Errorf("build %s: %w (unit stopped)", spec.ID, ctx.Err())
		case <-t.C:
		}
		p, err := c.GetUnitPropertyContext(ctx, unit, "ActiveState")
		if err != nil {
			return fmt.Errorf("read state of %s: %w", unit, err)
		}
		state := strings.Trim(p.Value.String(), `"`)
		if state != "inactive" && state != "failed" {
			continue
		}
		r, err := c.GetServicePropertyContext(ctx, unit, "Result")
		if err != nil {
			return fmt.Errorf("read result of %s: %w", unit, err)
		}
		result := strings.Trim(r.Value.String(), `"`)
		if result == "success" {
			return nil
		}
		code := ""
		if st, err := c.GetServicePropertyContext(ctx, unit, "ExecMainStatus"); err == nil {
			code = " (exit status " + strings.Trim(st.Value.String(), `"`) + ")"
		}
		return fmt.Errorf("build %s: unit %s ended with result %q%s", spec.ID, unit, result, code)
	}
}

// stop asks systemd to stop the unit and waits (bounded) for the job.
func (s *SystemdSandbox) stop(ctx context.Context, c unitConn, unit string) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	ch := make(chan string, 1)
	if _, err := c.StopUnitContext(sctx, unit, "replace", ch); err != nil {
		return
	}
	select {
	case <-ch:
	case <-sctx.Done():
	}
}

// follow streams the unit's journal lines since since until ctx ends.
func (s *SystemdSandbox) follow(ctx context.Context, unit string, since time.Time, line func(string)) {
	args := []string{"-u", unit, "-o", "cat", "-f", "--no-pager", "--since", "@" + strconv.FormatInt(since.Unix(), 10)}
	if s.JournalNamespace != "" {
		args = append([]string{"--namespace=" + s.JournalNamespace}, args...)
	}
	cmd := exec.CommandContext(ctx, "journalctl", args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		line("journal: " + err.Error())
		return
	}
	if err := cmd.Start(); err != nil {
		line("journal: " + err.Error())
		return
	}
	scanLines(out, line)
	if err := cmd.Wait(); err != nil && ctx.Err() == nil && !errors.Is(err, context.Canceled) {
		line("journal: " + err.Error())
	}
}
