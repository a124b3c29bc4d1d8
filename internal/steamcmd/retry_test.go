package steamcmd

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestInstallRetriesWindowsPassOnMissingConfiguration: the first Windows
// pass of a fresh install failing with "Missing configuration" is run
// again (and the job log says so) instead of going on to a Linux pass that
// cannot work; a pass that keeps failing ends the install after a bounded
// number of attempts.
func TestInstallRetriesWindowsPassOnMissingConfiguration(t *testing.T) {
	bin := fake(t)
	ctx := context.Background()
	opts := Options{RetryBackoff: time.Millisecond}
	tests := []struct {
		name      string
		fails     int
		wantErr   bool
		wantRetry int // "retrying" lines in the log
	}{
		{"no failure", 0, false, 0},
		{"one failure", 1, false, 1},
		{"two failures", 2, false, 2},
		{"always failing", 5, true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "game")
			r := Direct{Path: bin, Env: []string{
				"FAKESTEAMCMD_BUILDID=3001",
				"FAKESTEAMCMD_STATE_DIR=" + t.TempDir(),
				"FAKESTEAMCMD_WINDOWS_FAILS=" + string(rune('0'+tt.fails)),
			}}
			rec := &recorder{}
			res, err := Install(ctx, r, dir, opts, rec)
			log := strings.Join(rec.logs, "\n")
			retries := strings.Count(log, "failed with Missing configuration (attempt")
			if retries != tt.wantRetry {
				t.Errorf("%d retry lines in the log, want %d:\n%s", retries, tt.wantRetry, log)
			}
			if tt.wantErr {
				if !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), "Missing configuration") || !strings.Contains(err.Error(), "3 attempts") {
					t.Fatalf("err = %v, want ErrFailed naming Missing configuration after 3 attempts", err)
				}
				if !strings.Contains(log, "giving up") {
					t.Errorf("log does not say it gave up:\n%s", log)
				}
				return
			}
			if err != nil || res.BuildID != "3001" {
				t.Fatalf("Install = %+v, %v\n%s", res, err, log)
			}
		})
	}
}
