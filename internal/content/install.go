package content

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/steamcmd"
)

// InstallOptions configure Install.
type InstallOptions struct {
	Root layout.Root
	// Runner runs steamcmd: steamcmd.Direct (a child process) or a
	// SandboxSteamRunner (a left4me-steamcmd@ unit).
	Runner steamcmd.Runner
	// Validate makes steamcmd verify every file; it also publishes a new
	// generation when the build id did not change.
	Validate bool
	// Now is the time used for names; zero means time.Now().
	Now time.Time
	// BuildID names builds/<id>/; empty means a new one.
	BuildID string
	// HoldDefault keeps the current default generation the default of new
	// starts (layout.HoldDefault) when a new one is published: a canary
	// tries it first (internal/canary). Without it a published generation
	// becomes the default, ending a rollback.
	HoldDefault bool
}

// InstallResult describes a finished install.
type InstallResult struct {
	BuildID string
	// Generation is the generation now newest under installations/ (the
	// previous one when UpToDate).
	Generation string
	// UpToDate is true when steamcmd found nothing to change and no new
	// generation was published.
	UpToDate bool
	// Previous is the generation the update started from ("" on a first
	// install); Copy says what copying it cost.
	Previous string
	Copy     CopyStats
	// BuildDir holds build.log.
	BuildDir string
}

// Install installs or updates the game as a new installation generation.
//
// NOTE: docs/lifecycle.md rule 12 — steamcmd never writes into a published
// generation: the newest one is first copied (reflinked where the file
// system can) into builds/<id>/output, steamcmd updates that private copy,
// and the result is published as a new generation. Instances keep the
// generation they mounted until they restart.
func Install(ctx context.Context, opts InstallOptions, p Progress) (res InstallResult, err error) {
	if opts.Runner == nil {
		return res, errors.New("install: no steamcmd runner configured")
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	root := opts.Root
	unlock, err := lockInstall(root)
	if err != nil {
		return res, err
	}
	defer unlock()
	id := opts.BuildID
	if id == "" {
		id = NewBuildID("install", opts.Now)
	}
	res.BuildDir = root.Build(id)
	if err := os.MkdirAll(res.BuildDir, 0o755); err != nil {
		return res, fmt.Errorf("install: %w", err)
	}
	logp, closeLog := teeLog(filepath.Join(res.BuildDir, BuildLog), p)
	defer closeLog()
	p = logp
	out := filepath.Join(res.BuildDir, BuildOutput)
	defer func() {
		// A failed or unneeded build leaves its log, never a half tree.
		if err != nil || res.UpToDate {
			if rerr := RemoveTree(out); rerr != nil {
				p.Logf("remove %s: %v", out, rerr)
			}
		}
	}()

	prev, err := layout.Newest(root.Installations())
	if err != nil {
		return res, err
	}
	res.Previous = prev
	prevBuild := ""
	if prev == "" {
		p.Progress(0, "first install")
		if err := os.Mkdir(out, 0o755); err != nil {
			return res, fmt.Errorf("install: %w", err)
		}
	} else {
		p.Progress(0, "copying generation "+prev)
		start := time.Now()
		res.Copy, err = CopyTree(ctx, root.Installation(prev), out)
		if err != nil {
			return res, fmt.Errorf("install: %w", err)
		}
		p.Logf("copied generation %s: %d files, %d bytes, %d cloned, in %s", prev, res.Copy.Files, res.Copy.Bytes, res.Copy.Cloned, time.Since(start).Round(time.Millisecond))
		prevBuild, _ = steamcmd.ReadBuildID(root.Installation(prev))
	}
	sr, err := steamcmd.Install(ctx, opts.Runner, out, steamcmd.Options{Validate: opts.Validate}, scaled{p, 0.1, 0.95})
	if err != nil {
		return res, fmt.Errorf("install: %w", err)
	}
	res.BuildID = sr.BuildID
	if prev != "" && sr.BuildID == prevBuild && !opts.Validate {
		res.UpToDate, res.Generation = true, prev
		p.Progress(1, "build "+sr.BuildID+" is already installed (generation "+prev+")")
		return res, nil
	}
	if opts.HoldDefault && prev != "" && layout.HeldDefault(root.Installations()) == "" {
		if err := layout.HoldDefault(root.Installations(), prev); err != nil {
			return res, fmt.Errorf("install: %w", err)
		}
	}
	gen, err := Publish(root.Installations(), out, "b"+sr.BuildID, opts.Now)
	if err != nil {
		return res, fmt.Errorf("install: %w", err)
	}
	res.Generation = gen
	if !opts.HoldDefault {
		if err := layout.SetDefault(root.Installations(), ""); err != nil {
			return res, fmt.Errorf("install: %w", err)
		}
	}
	p.Progress(1, "published installation generation "+gen)
	return res, nil
}

// ErrBusy is returned when another install is running on this state root.
var ErrBusy = errors.New("another install is running")

// lockInstall takes builds/.install.lock (flock, so it holds across the
// panel and CLI processes): steamcmd keeps shared state in its own
// directory, and two updates at once would race for the next generation.
func lockInstall(root layout.Root) (func(), error) {
	if err := os.MkdirAll(root.Builds(), 0o755); err != nil {
		return nil, fmt.Errorf("install: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(root.Builds(), ".install.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("install: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, ErrBusy
		}
		return nil, fmt.Errorf("install: lock: %w", err)
	}
	return func() { f.Close() }, nil
}

// LockSteamCmd takes the same lock as an install (builds/.install.lock),
// waiting until ctx ends for a running install or Workshop download to
// release it: steamcmd keeps its state in the one steam/ directory, and two
// runs at once would fight over it. The returned function releases it.
func LockSteamCmd(ctx context.Context, root layout.Root) (func(), error) {
	for {
		unlock, err := lockInstall(root)
		if !errors.Is(err, ErrBusy) {
			return unlock, err
		}
		t := time.NewTimer(500 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("wait for the steamcmd lock: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// scaled maps a sub-operation's progress into [lo, hi].
type scaled struct {
	p      Progress
	lo, hi float64
}

func (s scaled) Progress(f float64, msg string)  { s.p.Progress(s.lo+(s.hi-s.lo)*f, msg) }
func (s scaled) Logf(format string, args ...any) { s.p.Logf(format, args...) }

// teeLog returns a Progress that also appends every log line to path.
func teeLog(path string, p Progress) (Progress, func()) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		p.Logf("cannot write %s: %v", path, err)
		return p, func() {}
	}
	return &fileLog{p: p, f: f}, func() { f.Close() }
}

type fileLog struct {
	p Progress
	f *os.File
}

func (l *fileLog) Progress(f float64, msg string) { l.p.Progress(f, msg) }
func (l *fileLog) Logf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintln(l.f, msg)
	l.p.Logf("%s", msg)
}

// SandboxSteamRunner runs steamcmd inside the build sandbox, in the
// SteamCmdTemplate unit (left4me-steamcmd@<id>.service, which binds steam/
// writable): each pass is a run of builds/<id>/build.sh that execs steamcmd
// with +force_install_dir pointing at the sandbox's output directory.
// installDir must be builds/<id>/output.
type SandboxSteamRunner struct {
	Root    layout.Root
	Sandbox Sandbox
	// SteamCmd is steamcmd.sh's path as the sandbox sees it.
	SteamCmd string
}

// Run implements steamcmd.Runner.
func (r SandboxSteamRunner) Run(ctx context.Context, installDir string, args []string, line func(string)) error {
	buildDir := filepath.Dir(filepath.Clean(installDir))
	if filepath.Base(installDir) != BuildOutput || filepath.Dir(buildDir) != r.Root.Builds() {
		return fmt.Errorf("steamcmd in the sandbox: %s is not a build output directory under %s", installDir, r.Root.Builds())
	}
	var b strings.Builder
	b.WriteString("#!/bin/bash\n# steamcmd pass written by left4me install\nset -eu\nexec \"$STEAMCMD\" +force_install_dir \"$OVERLAY\"")
	for _, a := range args {
		b.WriteString(" " + shellQuote(a))
	}
	b.WriteString("\n")
	return r.Sandbox.Run(ctx, r.Root, BuildSpec{
		ID:       filepath.Base(buildDir),
		Template: SteamCmdTemplate,
		Script:   []byte(b.String()),
		Env:      map[string]string{"STEAMCMD": r.SteamCmd},
	}, line)
}

// shellQuote quotes s for bash.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// EnsureSDK32 maintains the link srcds needs to register with Steam:
// HOME/.steam/sdk32 -> STEAMDIR/linux32 (where steamcmd keeps
// steamclient.so). It creates or corrects the link and reports whether it
// changed anything; an existing real file or directory there is an error
// (left alone). The link may dangle until steamcmd is installed.
func EnsureSDK32(home, steamDir string) (bool, error) {
	target := filepath.Join(steamDir, "linux32")
	dotSteam := filepath.Join(home, ".steam")
	link := filepath.Join(dotSteam, "sdk32")
	if err := os.MkdirAll(dotSteam, 0o755); err != nil {
		return false, fmt.Errorf("sdk32 link: %w", err)
	}
	fi, err := os.Lstat(link)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return false, fmt.Errorf("sdk32 link: %w", err)
	case fi.Mode()&fs.ModeSymlink == 0:
		return false, fmt.Errorf("sdk32 link: %s exists and is not a symlink; move it away", link)
	default:
		if cur, err := os.Readlink(link); err == nil && cur == target {
			return false, nil
		}
	}
	tmp := link + ".tmp"
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return false, fmt.Errorf("sdk32 link: %w", err)
	}
	if err := os.Rename(tmp, link); err != nil {
		os.Remove(tmp)
		return false, fmt.Errorf("sdk32 link: %w", err)
	}
	return true, nil
}
