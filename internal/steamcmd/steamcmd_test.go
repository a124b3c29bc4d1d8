package steamcmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		line  string
		kind  EventKind
		state string
		frac  float64
	}{
		{" Update state (0x61) downloading, progress: 12.34 (123456 / 1000000)", EventProgress, "downloading", 0.123456},
		{" Update state (0x5) verifying install, progress: 50.00 (5 / 10)\r", EventProgress, "verifying install", 0.5},
		{" Update state (0x101) committing, progress: 100.00 (0 / 0)", EventProgress, "committing", 1},
		{" Update state (0x11) preallocating, progress: 150.00 (20 / 10)", EventProgress, "preallocating", 1},
		{"Success! App '222860' fully installed.", EventSuccess, "", 0},
		{"Success! App '222860' already up to date.", EventSuccess, "", 0},
		{"Success! App '550' fully installed.", EventOther, "", 0},
		{"ERROR! Failed to install app '222860' (Invalid platform)", EventError, "", 0},
		{"Error! App '222860' state is 0x202 after update job.", EventError, "", 0},
		{"Loading Steam API...OK", EventOther, "", 0},
		{"", EventOther, "", 0},
	}
	for _, tt := range tests {
		ev := ParseLine(tt.line)
		if ev.Kind != tt.kind || ev.State != tt.state || fmt.Sprintf("%.6f", ev.Fraction) != fmt.Sprintf("%.6f", tt.frac) {
			t.Errorf("ParseLine(%q) = kind %d state %q fraction %v, want %d %q %v", tt.line, ev.Kind, ev.State, ev.Fraction, tt.kind, tt.state, tt.frac)
		}
	}
}

func FuzzParseLine(f *testing.F) {
	f.Add(" Update state (0x61) downloading, progress: 12.34 (123456 / 1000000)")
	f.Add("Success! App '222860' fully installed.")
	f.Fuzz(func(t *testing.T, line string) {
		ev := ParseLine(line)
		if ev.Fraction < 0 || ev.Fraction > 1 {
			t.Fatalf("fraction %v out of range", ev.Fraction)
		}
	})
}

func TestReadBuildID(t *testing.T) {
	tests := []struct {
		name, manifest, want string
		wantErr              bool
	}{
		{"ok", "\"AppState\"\n{\n\t\"appid\"\t\t\"222860\"\n\t\"buildid\"\t\t\"16023425\"\n}\n", "16023425", false},
		{"case", "\"AppState\"\n{\n\t\"BuildID\"  \"7\"\n}\n", "7", false},
		{"missing", "\"AppState\"\n{\n}\n", "", true},
		{"not a number", "\"AppState\"\n{\n\"buildid\" \"12x\"\n}\n", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			os.MkdirAll(filepath.Join(dir, "steamapps"), 0o755)
			os.WriteFile(filepath.Join(dir, ManifestPath), []byte(tt.manifest), 0o644)
			got, err := ReadBuildID(dir)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ReadBuildID = %q, %v; want %q (error %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}
	if _, err := ReadBuildID(t.TempDir()); err == nil {
		t.Error("no manifest: no error")
	}
}

var (
	fakeOnce sync.Once
	fakePath string
	fakeErr  error
)

// fake builds the stand-in steamcmd once per test run.
func fake(t testing.TB) string {
	t.Helper()
	fakeOnce.Do(func() {
		dir, err := os.MkdirTemp("", "left4me-fakesteamcmd-")
		if err != nil {
			fakeErr = err
			return
		}
		fakePath = filepath.Join(dir, "steamcmd.sh")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		fakeErr = BuildFake(ctx, fakePath)
	})
	if fakeErr != nil {
		t.Fatalf("build fakesteamcmd: %v", fakeErr)
	}
	return fakePath
}

// recorder is a Progress that keeps everything.
type recorder struct {
	mu    sync.Mutex
	fracs []float64
	msgs  []string
	logs  []string
}

func (r *recorder) Progress(f float64, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fracs = append(r.fracs, f)
	r.msgs = append(r.msgs, msg)
}

func (r *recorder) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

func TestInstallWithStandIn(t *testing.T) {
	bin := fake(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "game")

	// A Linux-only first pass fails with "Invalid platform" yet exits 0.
	rec := &recorder{}
	_, err := pass(ctx, Direct{Path: bin}, dir, PlatformLinux, true, rec, 0, 1)
	if !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), "Invalid platform") {
		t.Fatalf("linux-only first pass: err = %v, want ErrFailed with Invalid platform", err)
	}

	// Install uses the Windows-then-Linux recipe.
	rec = &recorder{}
	res, err := Install(ctx, Direct{Path: bin, Env: []string{"FAKESTEAMCMD_BUILDID=2001"}}, dir, Options{}, rec)
	if err != nil {
		t.Fatalf("first install: %v\n%s", err, strings.Join(rec.logs, "\n"))
	}
	if !res.FirstInstall || res.BuildID != "2001" {
		t.Errorf("result = %+v", res)
	}
	var sawDownload, sawWindows bool
	last := -1.0
	for i, f := range rec.fracs {
		if f < last {
			t.Errorf("progress went back: %v after %v (%q)", f, last, rec.msgs[i])
		}
		last = f
		if strings.Contains(rec.msgs[i], "downloading") {
			sawDownload = true
		}
		if strings.Contains(rec.msgs[i], "windows") {
			sawWindows = true
		}
	}
	if !sawDownload || !sawWindows || last != 1 {
		t.Errorf("progress: download %v windows %v last %v: %q", sawDownload, sawWindows, last, rec.msgs)
	}
	for _, f := range []string{"srcds_run", "left4dead2/steam.inf", ManifestPath} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("installed tree: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "srcds.exe")); err == nil {
		t.Error("validate left the Windows binary behind")
	}

	// An update: no Windows pass, new build id.
	rec = &recorder{}
	res, err = Install(ctx, Direct{Path: bin, Env: []string{"FAKESTEAMCMD_BUILDID=2002"}}, dir, Options{}, rec)
	if err != nil || res.FirstInstall || res.BuildID != "2002" {
		t.Fatalf("update: %+v, %v", res, err)
	}

	// Failure printed with exit status 0 is a failure.
	rec = &recorder{}
	_, err = Install(ctx, Direct{Path: bin, Env: []string{"FAKESTEAMCMD_FAIL=Disk write failure"}}, dir, Options{}, rec)
	if !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), "Disk write failure") {
		t.Errorf("failure with exit 0: err = %v", err)
	}
	// Success in the output with a non-zero exit status is a success.
	_, err = Install(ctx, Direct{Path: bin, Env: []string{"FAKESTEAMCMD_EXIT=7", "FAKESTEAMCMD_BUILDID=2002"}}, dir, Options{}, &recorder{})
	if err != nil {
		t.Errorf("success line with exit 7: %v", err)
	}
	// A run that never prints success is a failure even with exit 0.
	_, err = Install(ctx, Direct{Path: "/bin/true"}, dir, Options{}, &recorder{})
	if !errors.Is(err, ErrFailed) {
		t.Errorf("no output: err = %v", err)
	}
}

func TestInstallCancelled(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "slow.sh")
	os.WriteFile(script, []byte("#!/bin/sh\nsleep 30\n"), 0o755)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Install(ctx, Direct{Path: script}, filepath.Join(dir, "g"), Options{}, &recorder{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v", err)
	}
	if time.Since(start) > 20*time.Second {
		t.Errorf("cancel did not kill steamcmd")
	}
}

func TestScanLines(t *testing.T) {
	var got []string
	ScanLines(strings.NewReader("a\r\nb\rc\n\nd"), func(l string) { got = append(got, l) })
	if strings.Join(got, "|") != "a|b|c|d" {
		t.Errorf("lines = %q", got)
	}
}
