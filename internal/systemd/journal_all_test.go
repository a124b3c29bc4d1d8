package systemd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeJournalAll plays journalctl --output=json reading a journal once:
// it records its arguments and prints, after the cursor it is given, the
// entries left of: two instances', another unit's, a line that is not
// JSON, a message that is not UTF-8 and an invalid instance name.
func fakeJournalAll(t *testing.T, argsFile string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "journalctl")
	script := `#!/bin/sh
echo "$*" >> ` + argsFile + `
case "$*" in *--after-cursor=c4*) exit 0 ;; esac
echo '{"__CURSOR":"c1","__REALTIME_TIMESTAMP":"1","_SYSTEMD_UNIT":"left4me-server@alpha.service","MESSAGE":"hello from alpha"}'
echo 'not json'
echo '{"__CURSOR":"c2","_SYSTEMD_UNIT":"left4me-build@x.service","MESSAGE":"a build"}'
echo '{"__CURSOR":"c3","_SYSTEMD_UNIT":"left4me-server@beta.service","MESSAGE":[104,105,255]}'
echo '{"__CURSOR":"c4","_SYSTEMD_UNIT":"left4me-server@../x.service","MESSAGE":"bad name"}'
`
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestFollowAll: one journalctl at a time reads every instance's lines,
// names each line's instance from its unit, skips other units, and each
// read resumes after the last cursor read; FollowAll ends with its context
// and returns that cursor.
func TestFollowAll(t *testing.T) {
	argsFile := filepath.Join(t.TempDir(), "args")
	j := &Journal{Namespace: "left4me", Command: fakeJournalAll(t, argsFile), PollInterval: 5 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	var got []string
	since := time.Unix(1700000000, 0)
	cursor, err := j.FollowAll(ctx, "", since, func(name, line string) {
		got = append(got, name+": "+line)
		if len(got) == 2 {
			go func() { time.Sleep(50 * time.Millisecond); cancel() }()
		}
	})
	if err != context.Canceled {
		t.Errorf("FollowAll after cancel: %v", err)
	}
	want := []string{"alpha: hello from alpha", "beta: hi\xff"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines = %q, want %q (each once)", got, want)
	}
	if cursor != "c4" {
		t.Errorf("cursor = %q, want c4 (the last entry read)", cursor)
	}
	b, err := os.ReadFile(argsFile)
	if err != nil {
		t.Fatal(err)
	}
	calls := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(calls) < 2 || !strings.Contains(calls[0], "--namespace=left4me") || !strings.Contains(calls[0], "--since=@1700000000") ||
		!strings.Contains(calls[0], "--output=json") || strings.Contains(calls[0], "--follow") {
		t.Errorf("first journalctl call: %s", calls[0])
	}
	for _, c := range calls[1:] {
		if !strings.Contains(c, "--after-cursor=c4") || strings.Contains(c, "--since") {
			t.Errorf("later journalctl call: %s", c)
		}
	}

	// A journalctl that fails ends FollowAll with its error and the cursor
	// it was given.
	bad := &Journal{Command: filepath.Join(t.TempDir(), "missing")}
	if c, err := bad.FollowAll(context.Background(), "c9", since, func(string, string) {}); err == nil || c != "c9" {
		t.Errorf("FollowAll with a missing journalctl = %q, %v", c, err)
	}
}
