package store

import (
	"context"
	"testing"
)

// TestSubscribeEvents: a subscriber to an instance hears that an event of
// it was stored, not one of another instance, and nothing after it ended
// its subscription.
func TestSubscribeEvents(t *testing.T) {
	ctx := context.Background()
	st := openInstanceTestStore(t)
	owner, err := st.CreateUser(ctx, "alice", "h", false)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"alpha", "beta"} {
		if _, err := st.CreateInstance(ctx, Instance{Name: name, OwnerID: owner.ID, Port: 27015 + 10*i, RCONPassword: "pw"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	notes, stop := st.SubscribeEvents("alpha")
	if _, err := st.AddEvent(ctx, Event{Instance: "beta", Kind: "chat", Text: "elsewhere"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-notes:
		t.Fatal("notified of another instance's event")
	default:
	}
	for range 3 {
		if _, err := st.AddEvent(ctx, Event{Instance: "alpha", Kind: "chat", Text: "hi"}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-notes:
	default:
		t.Fatal("not notified of a stored event")
	}
	stop()
	stop()
	if _, err := st.AddEvent(ctx, Event{Instance: "alpha", Kind: "chat", Text: "after"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-notes:
		t.Fatal("notified after the subscription ended")
	default:
	}
}
