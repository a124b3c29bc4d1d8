package instance

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestArgsThatSrcdsRunWouldResplit: srcds_run splits its arguments on
// whitespace and expands wildcards, so an argument with a space, a tab, a
// no-break space, a control character or * ? [ could smuggle in a port (or
// any other word); each is refused, naming the argument, and nothing is
// created.
func TestArgsThatSrcdsRunWouldResplit(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, arg := range []string{"+hostport ", "-port\u00a0", "x +hostport 27001", "+tv_port\t27020", "c1m1*", "a?", "[x", "bad\x01"} {
		_, err := f.svc.Create(ctx, Spec{Name: "vs", OwnerID: f.owner, Args: []string{"+map", arg}})
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "args: argument 2") {
			t.Errorf("args %q: err = %v, want ErrInvalid naming argument 2", arg, err)
		}
		if _, err := f.svc.Get(ctx, "vs"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("args %q: the instance was created anyway", arg)
		}
	}
	if _, err := f.svc.Create(ctx, Spec{Name: "vs", OwnerID: f.owner, Args: []string{"+map", "c2m1_highway", "-tickrate", "100"}}); err != nil {
		t.Fatalf("plain arguments: %v", err)
	}
}
