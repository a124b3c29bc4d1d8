// Package steamcmd runs Valve's steamcmd to install or update the Left 4 Dead 2
// dedicated server (app 222860) and interprets its output.
//
// steamcmd is an unreliable witness: it can print a failure and still exit 0
// (docs/srcds.md §1). Install therefore judges success by the output ("Success!
// App '222860' fully installed.") and by the app manifest it leaves behind
// (steamapps/appmanifest_222860.acf with a "buildid"), never by the exit code
// alone.
//
// Since late 2024 an anonymous Linux-only first install of 222860 fails with
// "Invalid platform". The working recipe, which Install follows on a first
// install, is one run forcing the Windows platform, then a Linux run with
// validate. That Windows pass sometimes fails with "Missing configuration"
// on a fresh install; Install runs it again, a bounded number of times with
// backoff, and logs each retry (docs/srcds.md §8).
//
// DownloadItem fetches one Workshop item of Left 4 Dead 2
// (+workshop_download_item 550 ID), for items the Web API gives no
// downloadable file_url.
package steamcmd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// AppID is the Left 4 Dead 2 dedicated server.
const AppID = "222860"

// ManifestPath is the app manifest inside an installation directory.
const ManifestPath = "steamapps/appmanifest_" + AppID + ".acf"

// Platforms for the +@sSteamCmdForcePlatformType setting.
const (
	PlatformWindows = "windows"
	PlatformLinux   = "linux"
)

// Progress receives what an install is doing. Fraction is in [0, 1].
type Progress interface {
	Progress(fraction float64, msg string)
	Logf(format string, args ...any)
}

// Runner runs steamcmd with args (everything after +force_install_dir) and
// reports every output line to line. installDir is the installation
// directory as the caller sees it; a Runner that runs steamcmd somewhere
// else (a sandbox with the directory bound elsewhere) maps it.
type Runner interface {
	Run(ctx context.Context, installDir string, args []string, line func(string)) error
}

// Args returns the steamcmd commands that follow +force_install_dir for one
// pass: platform forcing, anonymous login, app_update (with validate when
// asked) and quit.
func Args(platform string, validate bool) []string {
	args := []string{"+@sSteamCmdForcePlatformType", platform, "+login", "anonymous", "+app_update", AppID}
	if validate {
		args = append(args, "validate")
	}
	return append(args, "+quit")
}

// EventKind classifies an output line.
type EventKind int

// Kinds of output lines.
const (
	EventOther EventKind = iota
	// EventProgress is an "Update state (0x61) downloading, progress: …" line.
	EventProgress
	// EventSuccess is "Success! App '222860' fully installed."
	EventSuccess
	// EventError is a line starting with "ERROR!" or "Error!" (steamcmd's
	// failure lines, printed even when it exits 0).
	EventError
)

// Event is one parsed output line.
type Event struct {
	Kind EventKind
	// State is the update state's name for progress lines ("downloading",
	// "verifying install", "committing", ...).
	State string
	// Fraction is the progress in [0, 1]; Done and Total are the byte counts.
	Fraction    float64
	Done, Total int64
	// Message is the line without surrounding space.
	Message string
}

var (
	progressRE = regexp.MustCompile(`Update state \(0x[0-9a-fA-F]+\) ([^,]+), progress: ([0-9]+(?:\.[0-9]+)?) \(([0-9]+) / ([0-9]+)\)`)
	successRE  = regexp.MustCompile(`^Success! App '([0-9]+)' (fully installed|already up to date)`)
)

// ParseLine classifies one line of steamcmd output.
func ParseLine(line string) Event {
	msg := strings.TrimSpace(strings.Trim(line, "\x00"))
	ev := Event{Kind: EventOther, Message: msg}
	if m := progressRE.FindStringSubmatch(msg); m != nil {
		pct, _ := strconv.ParseFloat(m[2], 64)
		done, _ := strconv.ParseInt(m[3], 10, 64)
		total, _ := strconv.ParseInt(m[4], 10, 64)
		ev.Kind, ev.State, ev.Done, ev.Total = EventProgress, strings.TrimSpace(m[1]), done, total
		switch {
		case total > 0:
			ev.Fraction = float64(done) / float64(total)
		default:
			ev.Fraction = pct / 100
		}
		ev.Fraction = min(max(ev.Fraction, 0), 1)
		return ev
	}
	if m := successRE.FindStringSubmatch(msg); m != nil && m[1] == AppID {
		ev.Kind = EventSuccess
		return ev
	}
	if strings.HasPrefix(msg, "ERROR!") || strings.HasPrefix(msg, "Error!") {
		ev.Kind = EventError
	}
	return ev
}

// ReadBuildID returns the "buildid" of the app manifest in installDir.
func ReadBuildID(installDir string) (string, error) {
	path := filepath.Join(installDir, filepath.FromSlash(ManifestPath))
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read app manifest: %w", err)
	}
	id := manifestValue(data, "buildid")
	if id == "" {
		return "", fmt.Errorf("app manifest %s: no buildid", path)
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return "", fmt.Errorf("app manifest %s: buildid %q is not a number", path, id)
		}
	}
	return id, nil
}

// manifestValue finds `"key"		"value"` in KeyValues text (keys are
// case-insensitive in KeyValues).
func manifestValue(data []byte, key string) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := quotedFields(sc.Text())
		if len(f) == 2 && strings.EqualFold(f[0], key) {
			return f[1]
		}
	}
	return ""
}

func quotedFields(line string) []string {
	var out []string
	for {
		i := strings.IndexByte(line, '"')
		if i < 0 {
			return out
		}
		line = line[i+1:]
		j := strings.IndexByte(line, '"')
		if j < 0 {
			return out
		}
		out = append(out, line[:j])
		line = line[j+1:]
	}
}

// Options tune Install.
type Options struct {
	// Validate makes the Linux pass verify every file (always done on a
	// first install).
	Validate bool
	// WindowsAttempts bounds the tries of a first install's Windows pass
	// when it fails with "Missing configuration"; zero means
	// DefaultWindowsAttempts.
	WindowsAttempts int
	// RetryBackoff is the wait before the second try of the Windows pass;
	// it doubles for each further try. Zero means DefaultRetryBackoff.
	RetryBackoff time.Duration
}

// Defaults of the Windows pass's retry.
const (
	DefaultWindowsAttempts = 3
	DefaultRetryBackoff    = 5 * time.Second
)

// missingConfiguration is the failure reason of a first Windows pass that
// another run cures (docs/srcds.md §8 "steamcmd's Windows pass").
const missingConfiguration = "(Missing configuration)"

// Result describes a finished install.
type Result struct {
	BuildID string
	// FirstInstall is true when the Windows-then-Linux recipe was used.
	FirstInstall bool
}

// ErrFailed is wrapped when steamcmd did not install the app, whatever its
// exit code said.
var ErrFailed = errors.New("steamcmd did not install the app")

// Install installs or updates app 222860 in installDir through r. A
// directory without an app manifest gets the first-install recipe: a run
// with the Windows platform forced, then the Linux run with validate.
func Install(ctx context.Context, r Runner, installDir string, opts Options, p Progress) (Result, error) {
	_, err := os.Stat(filepath.Join(installDir, filepath.FromSlash(ManifestPath)))
	first := errors.Is(err, os.ErrNotExist)
	res := Result{FirstInstall: first}
	if first {
		// NOTE: docs/srcds.md §1 — an anonymous Linux-only first install fails
		// with "Invalid platform"; the Windows pass makes the Linux pass work.
		p.Logf("first install: a Windows platform pass, then the Linux pass with validate")
		if err := windowsPass(ctx, r, installDir, opts, p); err != nil {
			return res, err
		}
		opts.Validate = true
	}
	lo := 0.0
	if first {
		lo = 0.3
	}
	if _, err := pass(ctx, r, installDir, PlatformLinux, opts.Validate, p, lo, 1); err != nil {
		return res, err
	}
	id, err := ReadBuildID(installDir)
	if err != nil {
		return res, fmt.Errorf("%w: %w", ErrFailed, err)
	}
	res.BuildID = id
	p.Progress(1, "installed build "+id)
	return res, nil
}

// windowsPass runs the Windows pass of a first install. Its result is not
// judged (what counts is the Linux pass), except for "Missing
// configuration": the first Windows pass of a fresh install sometimes
// fails that way and a second run works (docs/srcds.md §8), so it is run
// again, at most opts.WindowsAttempts times with a doubling backoff, and
// each retry is logged. A pass still failing that way at the end is an
// error: the Linux pass would only fail with a misleading "Invalid
// platform".
func windowsPass(ctx context.Context, r Runner, installDir string, opts Options, p Progress) error {
	attempts := opts.WindowsAttempts
	if attempts <= 0 {
		attempts = DefaultWindowsAttempts
	}
	wait := opts.RetryBackoff
	if wait <= 0 {
		wait = DefaultRetryBackoff
	}
	for i := 1; ; i++ {
		_, err := pass(ctx, r, installDir, PlatformWindows, false, p, 0, 0.3)
		if ctx.Err() != nil {
			return err
		}
		if err == nil || !strings.Contains(err.Error(), missingConfiguration) {
			return nil
		}
		if i >= attempts {
			p.Logf("steamcmd windows pass failed with Missing configuration %d times; giving up", i)
			return fmt.Errorf("windows pass, %d attempts: %w", i, err)
		}
		p.Logf("steamcmd windows pass failed with Missing configuration (attempt %d of %d); retrying in %s", i, attempts, wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("steamcmd windows pass: %w (after: %w)", ctx.Err(), err)
		case <-t.C:
		}
		wait *= 2
	}
}

// pass runs one steamcmd invocation, mapping its progress into [lo, hi].
func pass(ctx context.Context, r Runner, dir, platform string, validate bool, p Progress, lo, hi float64) (bool, error) {
	var success bool
	var lastErr string
	// Each update state (downloading, verifying, committing) counts from
	// zero again; the bar only moves forward.
	best := 0.0
	p.Progress(lo, "steamcmd: "+platform+" pass")
	runErr := r.Run(ctx, dir, Args(platform, validate), func(line string) {
		ev := ParseLine(line)
		switch ev.Kind {
		case EventProgress:
			best = max(best, ev.Fraction)
			p.Progress(lo+(hi-lo)*best, fmt.Sprintf("%s (%s)", ev.State, platform))
		case EventSuccess:
			success = true
		case EventError:
			lastErr = ev.Message
		}
		if ev.Message != "" {
			p.Logf("%s", ev.Message)
		}
	})
	if ctx.Err() != nil {
		return false, fmt.Errorf("steamcmd %s pass: %w", platform, ctx.Err())
	}
	switch {
	case success && runErr != nil:
		// The output is the witness, not the exit code (docs/srcds.md §1).
		p.Logf("steamcmd reported success but %v; trusting its output", runErr)
	case success:
	case lastErr != "":
		return false, fmt.Errorf("%w (%s pass): %s", ErrFailed, platform, lastErr)
	case runErr != nil:
		return false, fmt.Errorf("%w (%s pass): %w", ErrFailed, platform, runErr)
	default:
		return false, fmt.Errorf("%w (%s pass): no success line in its output", ErrFailed, platform)
	}
	return true, nil
}

// Direct runs steamcmd as a child process of the caller (development, tests,
// and hosts without the build sandbox).
type Direct struct {
	// Path is steamcmd.sh (or a stand-in).
	Path string
	// Env is added to the child's environment.
	Env []string
}

// Run implements Runner.
func (d Direct) Run(ctx context.Context, installDir string, args []string, line func(string)) error {
	if d.Path == "" {
		return errors.New("run steamcmd: no steamcmd path configured")
	}
	abs, err := filepath.Abs(installDir)
	if err != nil {
		return fmt.Errorf("run steamcmd: %w", err)
	}
	cmd := execCommand(ctx, d.Path, append([]string{"+force_install_dir", abs}, args...)...)
	// steamcmd inherits this process's environment (exec.Cmd's), plus Env.
	cmd.Env = append(cmd.Environ(), d.Env...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run steamcmd %s: %w", d.Path, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		ScanLines(pr, line)
	}()
	err = cmd.Wait()
	pw.Close()
	<-done
	if err != nil {
		return fmt.Errorf("steamcmd exited: %w", err)
	}
	return nil
}

// ScanLines calls fn for every line of r, splitting at '\n' and '\r'
// (steamcmd redraws some lines with carriage returns). Overlong lines are
// cut at 64 KiB.
func ScanLines(r io.Reader, fn func(string)) {
	br := bufio.NewReaderSize(r, 64<<10)
	var cur []byte
	for {
		b, err := br.ReadByte()
		if err != nil {
			if len(cur) > 0 {
				fn(string(cur))
			}
			io.Copy(io.Discard, br)
			return
		}
		if b == '\n' || b == '\r' {
			if len(cur) > 0 {
				fn(string(cur))
			}
			cur = cur[:0]
			continue
		}
		if len(cur) < 64<<10 {
			cur = append(cur, b)
		}
	}
}
