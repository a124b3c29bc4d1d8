package main

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
)

// stopRecorder notes the order in which parts stop, and whether a part was
// told to stop while one listed after it still ran.
type stopRecorder struct {
	mu      sync.Mutex
	stopped []string
	ctxs    []context.Context // of the waiters, in list order
	early   []string
}

func (r *stopRecorder) note(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = append(r.stopped, name)
}

// waiter is a part that works until its context ends.
func (r *stopRecorder) waiter(name string, started *sync.WaitGroup) part {
	started.Add(1)
	r.ctxs = append(r.ctxs, nil)
	i := len(r.ctxs) - 1
	return part{name, func(ctx context.Context) error {
		r.mu.Lock()
		r.ctxs[i] = ctx
		r.mu.Unlock()
		started.Done()
		<-ctx.Done()
		r.mu.Lock()
		// The parts before this one must still be running.
		for _, c := range r.ctxs[:i] {
			if c.Err() != nil {
				r.early = append(r.early, name)
			}
		}
		r.mu.Unlock()
		r.note(name)
		return nil
	}}
}

func TestRunParts(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		// failing, when set, is a part that fails once the others run.
		failing     bool
		wantStopped []string
		wantErr     error
	}{
		{name: "context ends", wantStopped: []string{"http", "done-early", "poller", "jobs"}},
		{name: "a part fails", failing: true, wantStopped: []string{"http", "failing", "done-early", "poller", "jobs"}, wantErr: boom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &stopRecorder{}
			var started sync.WaitGroup
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			parts := []part{r.waiter("jobs", &started), r.waiter("poller", &started)}
			// A part that finishes at once (nil) does not stop the others.
			parts = append(parts, part{"done-early", func(ctx context.Context) error { r.note("done-early"); return nil }})
			release := make(chan struct{})
			if tc.failing {
				parts = append(parts, part{"failing", func(ctx context.Context) error {
					<-release
					r.note("failing")
					return boom
				}})
			}
			parts = append(parts, r.waiter("http", &started))
			done := make(chan error, 1)
			go func() { done <- runParts(ctx, parts) }()
			started.Wait()
			if tc.failing {
				close(release)
			} else {
				cancel()
			}
			err := <-done
			if tc.wantErr == nil && err != nil {
				t.Fatalf("runParts: %v", err)
			}
			if tc.wantErr != nil && (!errors.Is(err, tc.wantErr) || err.Error() != "failing: boom") {
				t.Fatalf("runParts = %v, want the failure naming its part", err)
			}
			// done-early and failing finish before the shutdown starts; the
			// others stop in reverse order of the list.
			got := slices.DeleteFunc(slices.Clone(r.stopped), func(s string) bool { return s == "done-early" || s == "failing" })
			want := slices.DeleteFunc(slices.Clone(tc.wantStopped), func(s string) bool { return s == "done-early" || s == "failing" })
			if !slices.Equal(got, want) {
				t.Errorf("stop order %q, want %q", r.stopped, tc.wantStopped)
			}
			if len(r.early) > 0 {
				t.Errorf("parts listed before %q were stopped before it returned", r.early)
			}
			if len(r.stopped) != len(tc.wantStopped) {
				t.Errorf("stopped %q, want every part %q", r.stopped, tc.wantStopped)
			}
		})
	}
}
