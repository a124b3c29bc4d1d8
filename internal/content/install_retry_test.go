package content

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/steamcmd"
)

// TestInstallRetriesWindowsPassInJobLog: a fresh install whose first
// Windows pass fails with "Missing configuration" (the stand-in's
// FAKESTEAMCMD_WINDOWS_FAILS) still installs, and the job's log and the
// build's build.log say that the pass was retried. (It waits for the
// default backoff, a few seconds.)
func TestInstallRetriesWindowsPassInJobLog(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	steam, srcds := binaries(t)
	r := steamcmd.Direct{Path: steam, Env: []string{"FAKESTEAMCMD_BUILDID=100", "FAKESTEAMCMD_SRCDS=" + srcds,
		"FAKESTEAMCMD_WINDOWS_FAILS=1", "FAKESTEAMCMD_STATE_DIR=" + t.TempDir()}}
	rec := &recorder{}
	res, err := e.svc.Install(ctx, r, false, e.user, rec)
	if err != nil {
		t.Fatalf("install: %v\n%s", err, rec.text())
	}
	if res.BuildID != "100" {
		t.Errorf("install = %+v", res)
	}
	const want = "steamcmd windows pass failed with Missing configuration (attempt 1 of 3); retrying"
	if !strings.Contains(rec.text(), want) {
		t.Errorf("job log lacks %q:\n%s", want, rec.text())
	}
	log, err := os.ReadFile(filepath.Join(res.BuildDir, BuildLog))
	if err != nil || !strings.Contains(string(log), want) {
		t.Errorf("build.log lacks %q (%v):\n%s", want, err, log)
	}
}

// TestLockSteamCmd: a Workshop download's steamcmd waits for a running
// install (its lock) and gives up when its context ends.
func TestLockSteamCmd(t *testing.T) {
	e := newEnv(t)
	unlock, err := lockInstall(e.root)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := LockSteamCmd(ctx, e.root); err == nil || !strings.Contains(err.Error(), "steamcmd lock") {
		t.Errorf("while an install runs: err = %v", err)
	}
	unlock()
	release, err := LockSteamCmd(context.Background(), e.root)
	if err != nil {
		t.Fatalf("after the install: %v", err)
	}
	if _, err := lockInstall(e.root); err != ErrBusy {
		t.Errorf("an install while steamcmd downloads: err = %v, want ErrBusy", err)
	}
	release()
}
