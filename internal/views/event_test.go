package views

import "testing"

// TestEventWhat: the fields an event has, one space between them, its text
// as it was.
func TestEventWhat(t *testing.T) {
	for _, c := range []struct {
		e    Event
		want string
	}{
		{Event{Kind: "chat", Player: "Ellis", Text: "rush  \"left\""}, `Ellis rush  "left"`},
		{Event{Kind: "map", Map: "c2m1_highway"}, "c2m1_highway"},
		{Event{Kind: "rcon", Text: "sv_cheats 0"}, "sv_cheats 0"},
		{Event{Kind: "entered", Player: "Ellis"}, "Ellis"},
		{Event{Kind: "other"}, ""},
	} {
		if got := c.e.What(); got != c.want {
			t.Errorf("%+v: What() = %q, want %q", c.e, got, c.want)
		}
	}
}
