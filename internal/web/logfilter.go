package web

import (
	"context"

	"github.com/left4me/left4me/internal/srcds"
)

// quietLogs hides the server's record of the panel's own polls — a
// `rcon from "…": command "status"` line every few seconds per instance
// (docs/srcds.md §8 "Log files") — from every console view: the instance
// page, the log API and the log stream all read through it (New wraps
// Config.Logs). srcds.IsPollNoise decides, as it does for the events feed.
type quietLogs struct{ LogReader }

// maxTailFactor bounds how far Tail reads back to find n lines that are not
// noise: at most this many times n lines.
const maxTailFactor = 16

// Tail returns up to the last n lines that are not poll noise, reading
// further back while noise took their place.
func (q quietLogs) Tail(ctx context.Context, name string, n int) ([]string, error) {
	if n <= 0 {
		return nil, nil
	}
	want := n
	for {
		lines, err := q.LogReader.Tail(ctx, name, want)
		if err != nil {
			return nil, err
		}
		kept := withoutPollNoise(lines)
		if len(kept) >= n || len(lines) < want || want >= n*maxTailFactor {
			return kept[max(0, len(kept)-n):], nil
		}
		want *= 4
	}
}

// Follow calls fn with each new line that is not poll noise.
func (q quietLogs) Follow(ctx context.Context, name string, fn func(line string)) error {
	return q.LogReader.Follow(ctx, name, func(line string) {
		if !srcds.IsPollNoise(line) {
			fn(line)
		}
	})
}

func withoutPollNoise(lines []string) []string {
	kept := lines[:0:0]
	for _, l := range lines {
		if !srcds.IsPollNoise(l) {
			kept = append(kept, l)
		}
	}
	return kept
}
