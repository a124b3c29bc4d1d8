package instance

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

func TestParseAction(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Action
		past string
	}{
		{"start", Start, "started"},
		{"stop", Stop, "stopped"},
		{"restart", Restart, "restarted"},
		{"reset", Reset, "reset"},
	} {
		a, err := ParseAction(tt.in)
		if err != nil || a != tt.want || a.Past() != tt.past {
			t.Errorf("ParseAction(%q) = %q (past %q), %v; want %q (%q)", tt.in, a, a.Past(), err, tt.want, tt.past)
		}
	}
	for _, bad := range []string{"", "Start", "delete", "start ", "kill"} {
		if a, err := ParseAction(bad); !errors.Is(err, ErrUnknownAction) || a != "" {
			t.Errorf("ParseAction(%q) = %q, %v; want ErrUnknownAction", bad, a, err)
		}
	}
}

// TestDo runs every action through the one entry point and checks what
// each asked of the supervisor.
func TestDo(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "alpha", OwnerID: f.owner}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		action Action
		calls  []string
		state  State
	}{
		{Start, []string{"start alpha"}, Running},
		{Restart, []string{"stop alpha", "start alpha"}, Running},
		{Reset, []string{"stop alpha", "start alpha"}, Running},
		{Stop, []string{"stop alpha"}, Stopped},
		// Reset of a stopped instance leaves it stopped.
		{Reset, []string{"stop alpha"}, Stopped},
	} {
		if err := f.svc.Do(ctx, tt.action, "alpha"); err != nil {
			t.Fatalf("Do(%s): %v", tt.action, err)
		}
		if c := f.sup.takeCalls(); !reflect.DeepEqual(c, tt.calls) {
			t.Errorf("Do(%s): supervisor calls = %q, want %q", tt.action, c, tt.calls)
		}
		if st, _ := f.svc.Status(ctx, "alpha"); st.State != tt.state {
			t.Errorf("Do(%s): state %s, want %s", tt.action, st.State, tt.state)
		}
	}
	if err := f.svc.Do(ctx, "kill", "alpha"); !errors.Is(err, ErrUnknownAction) {
		t.Errorf("Do(kill) = %v, want ErrUnknownAction", err)
	}
	if err := f.svc.Do(ctx, Start, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Do(start, nobody) = %v, want ErrNotFound", err)
	}
	if c := f.sup.takeCalls(); len(c) != 0 {
		t.Errorf("refused actions reached the supervisor: %q", c)
	}
}
