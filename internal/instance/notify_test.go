package instance

import (
	"context"
	"strings"
	"sync"
	"testing"
)

type heard struct {
	mu     sync.Mutex
	events []string
}

func (h *heard) Notify(_ context.Context, event, inst string, detail map[string]any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, event+" "+inst+" "+detail["action"].(string))
}

// TestDoNotifiesStartsAndStops: the power actions that succeed tell the
// Notifier; one that fails does not.
func TestDoNotifiesStartsAndStops(t *testing.T) {
	f := newFixture(t)
	h := &heard{}
	f.svc.cfg.Notifier = h
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "vs1", OwnerID: f.owner}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []Action{Start, Restart, Stop} {
		if err := f.svc.Do(ctx, a, "vs1"); err != nil {
			t.Fatalf("%s: %v", a, err)
		}
	}
	if err := f.svc.Do(ctx, Start, "nope"); err == nil {
		t.Fatal("start of a missing instance succeeded")
	}
	want := "instance.started vs1 start,instance.started vs1 restart,instance.stopped vs1 stop"
	if got := strings.Join(h.events, ","); got != want {
		t.Errorf("events %q, want %q", got, want)
	}
}
