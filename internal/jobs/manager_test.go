package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestJobSucceedsWithProgressAndLog(t *testing.T) {
	m := newManager(t, testConfig())
	type args struct {
		Name string `json:"name"`
	}
	var gotUser atomic.Int64
	if err := m.Register("greet", func(ctx context.Context, run *Run) error {
		var a args
		if err := run.Args(&a); err != nil {
			return err
		}
		gotUser.Store(run.UserID())
		run.Progress(0.5, "half way")
		run.Logf("hello %s", a.Name)
		fmt.Fprintln(run.LogWriter(), "a line from a command")
		return nil
	}, KindOptions{}); err != nil {
		t.Fatal(err)
	}
	events, unsubscribe := m.Subscribe()
	defer unsubscribe()
	start(t, m)

	id, dup, err := m.Enqueue(context.Background(), "greet", args{Name: "Zoey"}, EnqueueOpts{UserID: 7})
	if err != nil || dup {
		t.Fatalf("Enqueue: id %d dup %v err %v", id, dup, err)
	}
	j := waitState(t, m, id, StateSucceeded)
	if j.Progress != 1 || j.Message != "half way" {
		t.Errorf("progress %v message %q, want 1 and %q", j.Progress, j.Message, "half way")
	}
	for _, want := range []string{"attempt 1 started", "hello Zoey\n", "a line from a command\n", "attempt 1 succeeded"} {
		if !strings.Contains(j.Log, want) {
			t.Errorf("log lacks %q:\n%s", want, j.Log)
		}
	}
	if j.UserID != 7 || gotUser.Load() != 7 {
		t.Errorf("user id: job %d, run %d; want 7", j.UserID, gotUser.Load())
	}
	if j.Attempt != 1 || len(j.Errors) != 0 || j.StartedAt.IsZero() || j.FinishedAt.IsZero() || j.Kind != "greet" {
		t.Errorf("unexpected job record %+v", j)
	}
	if string(j.Args) != `{"name":"Zoey"}` {
		t.Errorf("args %s", j.Args)
	}
	// Events name the job through to its final state.
	seen := map[State]bool{}
	timeout := time.After(30 * time.Second)
	for !seen[StateSucceeded] {
		select {
		case ev := <-events:
			if ev.JobID == id {
				seen[ev.State] = true
			}
		case <-timeout:
			t.Fatalf("no succeeded event; saw %v", seen)
		}
	}
	if !seen[StateQueued] || !seen[StateRunning] {
		t.Errorf("events: saw %v, want queued and running too", seen)
	}

	// List leaves the log out.
	list, err := m.List(context.Background(), Filter{Kind: "greet"})
	if err != nil || len(list) != 1 || list[0].ID != id || list[0].Log != "" || list[0].Progress != 1 {
		t.Errorf("List: %+v, %v", list, err)
	}
}

func TestTransientErrorIsRetried(t *testing.T) {
	m := newManager(t, testConfig())
	var calls atomic.Int32
	if err := m.Register("flaky", func(ctx context.Context, run *Run) error {
		if n := calls.Add(1); n < 3 {
			return Transient(fmt.Errorf("connection reset (try %d)", n))
		}
		return nil
	}, KindOptions{MaxAttempts: 5}); err != nil {
		t.Fatal(err)
	}
	start(t, m)
	id, _, err := m.Enqueue(context.Background(), "flaky", nil, EnqueueOpts{})
	if err != nil {
		t.Fatal(err)
	}
	j := waitState(t, m, id, StateSucceeded)
	if j.Attempt != 3 || calls.Load() != 3 || len(j.Errors) != 2 {
		t.Fatalf("attempt %d, calls %d, errors %+v; want 3, 3, two errors", j.Attempt, calls.Load(), j.Errors)
	}
	if !strings.Contains(j.Errors[0].Error, "connection reset (try 1)") || j.Errors[1].Attempt != 2 {
		t.Errorf("errors: %+v", j.Errors)
	}
	if !strings.Contains(j.Log, "attempt 2 failed: connection reset (try 2)") || !strings.Contains(j.Log, "attempt 3 succeeded") {
		t.Errorf("log:\n%s", j.Log)
	}
}

func TestFailures(t *testing.T) {
	m := newManager(t, testConfig())
	var permanentCalls, alwaysCalls, panicCalls atomic.Int32
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(m.Register("bad_args", func(ctx context.Context, run *Run) error {
		permanentCalls.Add(1)
		return Permanent(errors.New("no such workshop item"))
	}, KindOptions{MaxAttempts: 5}))
	must(m.Register("always_fails", func(ctx context.Context, run *Run) error {
		alwaysCalls.Add(1)
		return errors.New("mirror unreachable")
	}, KindOptions{MaxAttempts: 2}))
	must(m.Register("panics", func(ctx context.Context, run *Run) error {
		panicCalls.Add(1)
		panic("boom")
	}, KindOptions{MaxAttempts: 1}))
	must(m.Register("slow", func(ctx context.Context, run *Run) error {
		<-ctx.Done()
		return ctx.Err()
	}, KindOptions{MaxAttempts: 1, Timeout: 100 * time.Millisecond}))
	start(t, m)
	ctx := context.Background()

	tests := []struct {
		kind     string
		calls    *atomic.Int32
		attempts int
		errText  string
	}{
		{"bad_args", &permanentCalls, 1, "no such workshop item"},
		{"always_fails", &alwaysCalls, 2, "mirror unreachable"},
		{"panics", &panicCalls, 1, "panicked: boom"},
		{"slow", nil, 1, "timed out after 100ms"},
	}
	for _, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			id, _, err := m.Enqueue(ctx, tc.kind, map[string]int{"n": 1}, EnqueueOpts{})
			if err != nil {
				t.Fatal(err)
			}
			j := waitState(t, m, id, StateFailed)
			if j.Attempt != tc.attempts || len(j.Errors) != tc.attempts {
				t.Errorf("attempt %d with %d errors, want %d", j.Attempt, len(j.Errors), tc.attempts)
			}
			if tc.calls != nil && int(tc.calls.Load()) != tc.attempts {
				t.Errorf("handler ran %d times, want %d", tc.calls.Load(), tc.attempts)
			}
			if len(j.Errors) == 0 || !strings.Contains(j.Errors[len(j.Errors)-1].Error, tc.errText) {
				t.Errorf("errors %+v, want %q", j.Errors, tc.errText)
			}
			// People read the handler's words, never a type name of the
			// queue (river stores a permanent failure as "JobCancelError: …").
			for _, e := range j.Errors {
				if strings.Contains(e.Error, "JobCancelError") || strings.Contains(e.Error, "Error: ") {
					t.Errorf("attempt %d's error %q names an internal type", e.Attempt, e.Error)
				}
			}
			if strings.Contains(j.Log, "JobCancelError") || strings.Contains(j.Message, "JobCancelError") {
				t.Errorf("the log or message names an internal type: %q / %q", j.Log, j.Message)
			}
			if !strings.Contains(j.Log, "failed for good") || j.FinishedAt.IsZero() {
				t.Errorf("log or finish time missing: %+v", j)
			}
			// A failed job cannot be cancelled.
			if err := m.Cancel(ctx, id); !errors.Is(err, ErrFinished) {
				t.Errorf("Cancel of a failed job: %v, want ErrFinished", err)
			}
		})
	}
}

func TestCancel(t *testing.T) {
	m := newManager(t, testConfig())
	started := make(chan int64, 1)
	if err := m.Register("long", func(ctx context.Context, run *Run) error {
		run.Progress(0.1, "downloading")
		started <- run.ID()
		<-ctx.Done()
		run.Logf("stopping: %v", ctx.Err())
		return ctx.Err()
	}, KindOptions{MaxAttempts: 3}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Queued (never started): cancelled at once.
	queued, _, err := m.Enqueue(ctx, "long", map[string]string{"which": "queued"}, EnqueueOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Cancel(ctx, queued); err != nil {
		t.Fatalf("Cancel queued: %v", err)
	}
	if j, _ := m.Get(ctx, queued); j.State != StateCancelled {
		t.Fatalf("queued job after Cancel: %s", j.State)
	}

	start(t, m)
	id, _, err := m.Enqueue(ctx, "long", map[string]string{"which": "running"}, EnqueueOpts{})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-started:
		if got != id {
			t.Fatalf("started job %d, want %d", got, id)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("job never started")
	}
	if err := m.Cancel(ctx, id); err != nil {
		t.Fatalf("Cancel running: %v", err)
	}
	j := waitState(t, m, id, StateCancelled)
	if j.Attempt != 1 || !strings.Contains(j.Log, "stopping: context canceled") || !strings.Contains(j.Log, "attempt 1 cancelled") {
		t.Errorf("cancelled job: attempt %d log:\n%s", j.Attempt, j.Log)
	}
	if err := m.Cancel(ctx, id); err != nil {
		t.Errorf("second Cancel: %v, want nil", err)
	}
	if err := m.Cancel(ctx, 999999); !errors.Is(err, ErrNotFound) {
		t.Errorf("Cancel unknown: %v, want ErrNotFound", err)
	}
	if _, err := m.Get(ctx, 999999); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get unknown: %v, want ErrNotFound", err)
	}
	list, err := m.List(ctx, Filter{State: StateCancelled})
	if err != nil || len(list) != 2 {
		t.Errorf("List cancelled: %d jobs, %v; want 2", len(list), err)
	}
}

func TestUniqueEnqueueIsNoOp(t *testing.T) {
	m := newManager(t, testConfig())
	release := make(chan struct{})
	running := make(chan struct{}, 4)
	if err := m.Register(kindRefresh, func(ctx context.Context, run *Run) error {
		running <- struct{}{}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}, KindOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	unique := EnqueueOpts{Unique: true}
	first, dup, err := m.Enqueue(ctx, kindRefresh, nil, unique)
	if err != nil || dup {
		t.Fatalf("first: %d %v %v", first, dup, err)
	}
	// Queued: a second ask is a no-op.
	again, dup, err := m.Enqueue(ctx, kindRefresh, nil, EnqueueOpts{Unique: true, UserID: 3})
	if err != nil || !dup || again != first {
		t.Fatalf("while queued: id %d dup %v err %v; want %d true", again, dup, err, first)
	}
	// Other args are another job.
	other, dup, err := m.Enqueue(ctx, kindRefresh, map[string]int{"layer": 2}, unique)
	if err != nil || dup || other == first {
		t.Fatalf("other args: id %d dup %v err %v", other, dup, err)
	}
	start(t, m)
	<-running
	<-running
	waitState(t, m, first, StateRunning)
	// Running: still a no-op.
	again, dup, err = m.Enqueue(ctx, kindRefresh, nil, unique)
	if err != nil || !dup || again != first {
		t.Fatalf("while running: id %d dup %v err %v; want %d true", again, dup, err, first)
	}
	close(release)
	waitState(t, m, first, StateSucceeded)
	// Finished: a new ask runs again.
	next, dup, err := m.Enqueue(ctx, kindRefresh, nil, unique)
	if err != nil || dup || next == first {
		t.Fatalf("after finish: id %d dup %v err %v", next, dup, err)
	}
	waitState(t, m, next, StateSucceeded)
}

func TestPeriodicJobIsUnique(t *testing.T) {
	cfg := testConfig()
	cfg.Periodic = []Periodic{{Kind: "tick", Schedule: every(50 * time.Millisecond)}}
	m := newManager(t, cfg)
	release := make(chan struct{})
	if err := m.Register("tick", func(ctx context.Context, run *Run) error {
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}, KindOptions{}); err != nil {
		t.Fatal(err)
	}
	start(t, m)
	ctx := context.Background()
	var first Job
	deadline := time.Now().Add(45 * time.Second)
	for first.ID == 0 {
		if time.Now().After(deadline) {
			t.Fatal("periodic job never ran")
		}
		list, err := m.List(ctx, Filter{Kind: "tick", State: StateRunning})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) > 0 {
			first = list[0]
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Let the schedule fire several more times while it runs.
	time.Sleep(500 * time.Millisecond)
	all, err := m.List(ctx, Filter{Kind: "tick"})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 {
		t.Fatalf("%d tick jobs while one was running, want 1: %+v", len(all), all)
	}
	close(release)
	waitState(t, m, first.ID, StateSucceeded)
}

// every is a schedule for tests.
type every time.Duration

func (e every) Next(t time.Time) time.Time { return t.Add(time.Duration(e)) }

func TestListFilters(t *testing.T) {
	m := newManager(t, testConfig())
	ctx := context.Background()
	for i, c := range []struct {
		kind string
		user int64
	}{{"install", 1}, {"install", 2}, {"build", 1}, {"build", 1}} {
		if _, _, err := m.Enqueue(ctx, c.kind, map[string]int{"i": i}, EnqueueOpts{UserID: c.user}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		f    Filter
		want int
	}{
		{Filter{}, 4},
		{Filter{Kind: "install"}, 2},
		{Filter{UserID: 1}, 3},
		{Filter{Kind: "build", UserID: 1, Limit: 1}, 1},
		{Filter{State: StateQueued}, 4},
		{Filter{State: StateRunning}, 0},
	}
	for _, tc := range tests {
		got, err := m.List(ctx, tc.f)
		if err != nil || len(got) != tc.want {
			t.Errorf("List(%+v): %d jobs, %v; want %d", tc.f, len(got), err, tc.want)
		}
		for i := 1; i < len(got); i++ {
			if got[i].ID > got[i-1].ID {
				t.Errorf("List(%+v) not newest first", tc.f)
			}
		}
	}
	if _, err := m.List(ctx, Filter{State: "stuck"}); err == nil {
		t.Error("List with an unknown state: no error")
	}
	if _, _, err := m.Enqueue(ctx, "Bad Kind", nil, EnqueueOpts{}); err == nil {
		t.Error("Enqueue with a bad kind: no error")
	}
	if _, _, err := m.Enqueue(ctx, "install", func() {}, EnqueueOpts{}); err == nil {
		t.Error("Enqueue with unencodable args: no error")
	}
}

func TestLogIsCapped(t *testing.T) {
	cfg := testConfig()
	cfg.LogCap = 200
	m := newManager(t, cfg)
	if err := m.Register("chatty", func(ctx context.Context, run *Run) error {
		for i := range 100 {
			run.Logf("line %03d", i)
		}
		return nil
	}, KindOptions{}); err != nil {
		t.Fatal(err)
	}
	start(t, m)
	id, _, err := m.Enqueue(context.Background(), "chatty", nil, EnqueueOpts{})
	if err != nil {
		t.Fatal(err)
	}
	j := waitState(t, m, id, StateSucceeded)
	if len(j.Log) > 200 || !strings.HasSuffix(j.Log, "attempt 1 succeeded ---\n") || !strings.Contains(j.Log, "line 099\n") {
		t.Errorf("log of %d bytes:\n%s", len(j.Log), j.Log)
	}
}

func TestRegisterRefusals(t *testing.T) {
	m := newManager(t, testConfig())
	h := func(context.Context, *Run) error { return nil }
	if err := m.Register("ok_kind", h, KindOptions{}); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"duplicate":   m.Register("ok_kind", h, KindOptions{}),
		"bad name":    m.Register("9lives", h, KindOptions{}),
		"nil handler": m.Register("other", nil, KindOptions{}),
		"negative":    m.Register("neg", h, KindOptions{MaxAttempts: -1}),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	start(t, m)
	if err := m.Register("late", h, KindOptions{}); err == nil {
		t.Error("Register after Start: no error")
	}
}
