package main

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/views"
)

// tailLogs serves fixed lines, or an error.
type tailLogs struct {
	lines []string
	err   error
}

func (l tailLogs) Tail(ctx context.Context, name string, n int) ([]string, error) {
	return l.lines, l.err
}
func (l tailLogs) Follow(ctx context.Context, name string, fn func(string)) error { return nil }

// TestShowAddsLastLinesOfFailedInstance: `instance show` of a failed
// instance prints (and puts into its JSON) the last console lines.
func TestShowAddsLastLinesOfFailedInstance(t *testing.T) {
	logs := tailLogs{lines: []string{"Segmentation fault (simulated by -fakecrash)", "left4me: server exit status 1 (failed)"}}
	j := views.Instance{Name: "crashy", State: "failed"}
	j.AddLastLines(context.Background(), logs)
	if !slices.Equal(j.LastLines, logs.lines) {
		t.Errorf("LastLines = %q", j.LastLines)
	}
	var b strings.Builder
	printLastLines(&b, j)
	if want := "last console lines:\n  Segmentation fault (simulated by -fakecrash)\n  left4me: server exit status 1 (failed)\n"; b.String() != want {
		t.Errorf("printed %q, want %q", b.String(), want)
	}

	running := views.Instance{Name: "ok", State: "running"}
	running.AddLastLines(context.Background(), logs)
	if running.LastLines != nil {
		t.Errorf("a running instance got last lines: %q", running.LastLines)
	}

	unreadable := views.Instance{Name: "x", State: "failed"}
	unreadable.AddLastLines(context.Background(), tailLogs{err: errors.New("journal gone")})
	b.Reset()
	printLastLines(&b, unreadable)
	if !strings.Contains(b.String(), "journal gone") {
		t.Errorf("unreadable log not reported: %q", b.String())
	}
}
