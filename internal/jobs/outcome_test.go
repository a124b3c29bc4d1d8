package jobs

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestFailedJobSaysItFailed: a job that failed after reporting a step
// ("running the build script" at 5%) no longer shows that step as its
// status: the message says it failed, with the error and the step.
func TestFailedJobSaysItFailed(t *testing.T) {
	m := newManager(t, testConfig())
	if err := m.Register("build", func(ctx context.Context, run *Run) error {
		run.Progress(0.05, "running the build script")
		return Permanent(errors.New("the build script exited with status 4"))
	}, KindOptions{MaxAttempts: 1}); err != nil {
		t.Fatal(err)
	}
	start(t, m)
	id, _, err := m.Enqueue(context.Background(), "build", map[string]int{"n": 1}, EnqueueOpts{})
	if err != nil {
		t.Fatal(err)
	}
	j := waitState(t, m, id, StateFailed)
	want := "failed (while running the build script): the build script exited with status 4"
	if j.Message != want {
		t.Errorf("message of the failed job = %q, want %q", j.Message, want)
	}
	list, err := m.List(context.Background(), Filter{Kind: "build"})
	if err != nil || len(list) != 1 || list[0].Message != want {
		t.Errorf("the job list's message = %+v, %v; want %q", list, err, want)
	}
}

func TestOutcomeMessage(t *testing.T) {
	errs := []AttemptError{{Attempt: 1, Error: "mirror unreachable\nmore"}}
	for _, tt := range []struct {
		j    Job
		want string
	}{
		{Job{State: StateRunning, Message: "downloading"}, "downloading"},
		{Job{State: StateSucceeded, Message: "published generation 3"}, "published generation 3"},
		{Job{State: StateFailed, Message: "downloading", Errors: errs}, "failed (while downloading): mirror unreachable"},
		{Job{State: StateFailed}, "failed; see the log"},
		{Job{State: StateCancelled, Message: "downloading"}, "cancelled (while downloading)"},
		{Job{State: StateRetrying, Message: "downloading", Errors: errs}, "waiting to retry after: mirror unreachable"},
	} {
		if got := outcomeMessage(tt.j); got != tt.want || strings.Contains(got, "\n") {
			t.Errorf("outcomeMessage(%s, %q) = %q, want %q", tt.j.State, tt.j.Message, got, tt.want)
		}
	}
}
