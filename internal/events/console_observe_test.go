package events

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestConsoleObserve: ConsoleConfig.Observe sees every new console line a
// follower reads, log line or not, once, and none of the backlog (lines
// that were there before the follower started), however often the
// follower reads the backlog again.
func TestConsoleObserve(t *testing.T) {
	st := openStore(t, "alpha")
	console := newConsoleLog("old line 1", "L 01/02/2026 - 03:04:05: old log line")
	r := NewRecorder(Config{}, nil, st, nil)
	var mu sync.Mutex
	var seen []string
	observe := func(name, line string) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, name+": "+line)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { r.Run(ctx) })
	list := func(context.Context) ([]Running, error) { return []Running{{Name: "alpha"}}, nil }
	wg.Go(func() {
		r.FollowConsoles(ctx, console, list, ConsoleConfig{Interval: 20 * time.Millisecond, Resync: 400 * time.Millisecond, Observe: observe})
	})
	defer func() { cancel(); wg.Wait() }()

	want := []string{"alpha: ---- Host_Changelevel ----", "alpha: L 11/30/2026 - 12:00:00: Loading map \"c2m1_highway\"", "alpha: new line"}
	// Lines written before the follower subscribed are backlog; wait
	// until it follows (a line written then is observed) before the rest.
	deadline := time.Now().Add(10 * time.Second)
	for {
		console.Write([]byte("probe\n"))
		time.Sleep(250 * time.Millisecond)
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the follower never observed a line")
		}
	}
	console.Write([]byte("---- Host_Changelevel ----\nL 11/30/2026 - 12:00:00: Loading map \"c2m1_highway\"\nnew line\n"))
	time.Sleep(1500 * time.Millisecond) // several resyncs
	mu.Lock()
	defer mu.Unlock()
	var got []string
	for _, l := range seen {
		if l != "alpha: probe" {
			got = append(got, l)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("observed %q, want %q", got, want)
	}
	if slices.Contains(seen, "alpha: old line 1") {
		t.Error("a backlog line was observed")
	}
}
