package events

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// journalStream plays the journal for streamConsoles: an ordered list of
// (instance, line) entries whose positions are their indexes. Like the
// journal follower seen on Debian 12 it goes deaf: each read delivers at
// most two entries and then waits until its context ends, so only reads
// that resume at the right position see everything. Every third read
// fails at once.
type journalStream struct {
	LogReader
	mu      sync.Mutex
	entries [][2]string
	reads   int
	froms   []string
}

func (j *journalStream) add(name, line string) {
	j.mu.Lock()
	j.entries = append(j.entries, [2]string{name, line})
	j.mu.Unlock()
}

func (j *journalStream) FollowAll(ctx context.Context, from string, _ time.Time, fn func(name, line string)) (string, error) {
	j.mu.Lock()
	j.reads++
	j.froms = append(j.froms, from)
	fail := j.reads%3 == 0
	j.mu.Unlock()
	if fail {
		return "", errors.New("journalctl ended")
	}
	next := 0
	if from != "" {
		n, err := strconv.Atoi(from)
		if err != nil {
			return from, err
		}
		next = n + 1
	}
	pos := from
	for delivered := 0; delivered < 2; {
		j.mu.Lock()
		var e [2]string
		ok := next < len(j.entries)
		if ok {
			e = j.entries[next]
		}
		j.mu.Unlock()
		if !ok {
			select {
			case <-ctx.Done():
				return pos, ctx.Err()
			case <-time.After(time.Millisecond):
			}
			continue
		}
		fn(e[0], e[1])
		pos = strconv.Itoa(next)
		next++
		delivered++
	}
	<-ctx.Done()
	return pos, ctx.Err()
}

// TestStreamConsoles: with one stream for every instance, each line after
// the recorder's start is taken exactly once, although the stream goes
// deaf and fails now and then; lines stamped before the recorder started
// are skipped.
func TestStreamConsoles(t *testing.T) {
	st := openStore(t, "alpha", "beta")
	r := NewRecorder(Config{}, nil, st, nil)
	j := &journalStream{}
	stamp := func(d time.Duration) string {
		return "L " + time.Now().Add(d).Format("01/02/2006 - 15:04:05") + ": "
	}
	j.add("alpha", stamp(-time.Hour)+`"Ellie<2><STEAM_1:0:1><>" say "before the panel"`)
	var mu sync.Mutex
	observed := map[string]int{}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	// Both end before the store closes (t.Cleanup runs after this).
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { _ = r.Run(ctx) })
	wg.Go(func() {
		r.FollowConsoles(ctx, j, nil, ConsoleConfig{Interval: 20 * time.Millisecond, Resync: 50 * time.Millisecond,
			Observe: func(name, line string) {
				mu.Lock()
				observed[name+": "+line]++
				mu.Unlock()
			}})
	})
	var want []string
	for i := range 7 {
		name := []string{"alpha", "beta"}[i%2]
		j.add(name, fmt.Sprintf("not a log line %d", i))
		j.add(name, fmt.Sprintf(`%s"Ellie<2><STEAM_1:0:1><>" say "line %d"`, stamp(time.Minute), i))
		want = append(want, fmt.Sprintf("%s chat Ellie line %d", name, i))
	}
	collect(t, st, 0, func(e Event) bool { return e.Text == "line 6" }, "alpha", "beta")
	time.Sleep(150 * time.Millisecond) // a few more resyncs: nothing is taken again
	got := summary(collect(t, st, 0, func(e Event) bool { return e.Text == "line 6" }, "alpha", "beta"))
	all, err := st.ListEvents(context.Background(), "alpha", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	more, _ := st.ListEvents(context.Background(), "beta", 0, 0)
	if !slices.Equal(got, want) || len(all)+len(more) != len(want) {
		t.Errorf("events %q (%d stored), want %q", got, len(all)+len(more), want)
	}
	mu.Lock()
	for l, n := range observed {
		if n != 1 {
			t.Errorf("observed %q %d times, want once", l, n)
		}
	}
	if len(observed) != 2*7+1 {
		t.Errorf("observed %d lines, want %d (every line the stream gave)", len(observed), 2*7+1)
	}
	mu.Unlock()
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.reads < 4 || j.froms[0] != "" {
		t.Errorf("reads %d from %q: want several, the first from the start", j.reads, j.froms)
	}
}
