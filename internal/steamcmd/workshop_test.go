package steamcmd

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseItemLine(t *testing.T) {
	tests := []struct {
		line string
		want ItemEvent
	}{
		{`Success. Downloaded item 1414531358 to "/home/u/Steam/steamapps/workshop/content/550/1414531358" (1058089480 bytes)`,
			ItemEvent{ID: 1414531358, OK: true, Path: "/home/u/Steam/steamapps/workshop/content/550/1414531358", Bytes: 1058089480}},
		{"ERROR! Download item 366425329 failed (Failure).", ItemEvent{ID: 366425329, Reason: "Failure"}},
		{"ERROR! Download item 1439605692 failed (No Connection).\r", ItemEvent{ID: 1439605692, Reason: "No Connection"}},
		{"Downloading item 1414531358 ...", ItemEvent{}},
		{"ERROR! Failed to install app '222860' (Missing configuration)", ItemEvent{}},
		{"Success! App '222860' fully installed.", ItemEvent{}},
	}
	for _, tt := range tests {
		if got := ParseItemLine(tt.line); got != tt.want {
			t.Errorf("ParseItemLine(%q) = %+v, want %+v", tt.line, got, tt.want)
		}
	}
}

// TestDownloadItemWithStandIn runs workshop_download_item through the
// stand-in: success leaves the item under steamapps/workshop/content/550/ID
// with the size steamcmd reported; a failure line (printed with exit
// status 0) is an error naming the item and steamcmd's reason, transient
// only for reasons another try may cure.
func TestDownloadItemWithStandIn(t *testing.T) {
	bin := fake(t)
	ctx := context.Background()

	dir := t.TempDir()
	var log []string
	it, err := DownloadItem(ctx, Direct{Path: bin}, dir, 777, func(f string, a ...any) { log = append(log, f) })
	if err != nil {
		t.Fatalf("DownloadItem: %v", err)
	}
	if it.Dir != filepath.Join(dir, "steamapps", "workshop", "content", "550", "777") || it.Bytes <= 0 {
		t.Errorf("item = %+v", it)
	}
	entries, err := os.ReadDir(it.Dir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("item directory: %v %v", entries, err)
	}
	if len(log) == 0 {
		t.Error("steamcmd's output was not logged")
	}

	for _, tc := range []struct {
		reason    string
		transient bool
	}{{"Failure", false}, {"Timeout", true}, {"No Connection", true}} {
		_, err = DownloadItem(ctx, Direct{Path: bin, Env: []string{"FAKESTEAMCMD_WORKSHOP_FAIL=778", "FAKESTEAMCMD_WORKSHOP_REASON=" + tc.reason}}, t.TempDir(), 778, nil)
		if !errors.Is(err, ErrItemFailed) || !strings.Contains(err.Error(), "778") || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s: err = %v, want ErrItemFailed naming the item and the reason", tc.reason, err)
		}
		if errors.Is(err, ErrItemTransient) != tc.transient {
			t.Errorf("%s: transient = %v, want %v", tc.reason, errors.Is(err, ErrItemTransient), tc.transient)
		}
	}

	// Exit 0 and no success line (a steamcmd that does not know the
	// command) is a failure too.
	if _, err := DownloadItem(ctx, Direct{Path: "/bin/true"}, t.TempDir(), 779, nil); !errors.Is(err, ErrItemFailed) {
		t.Errorf("no output: err = %v", err)
	}
}
