package store

import (
	"context"
	"fmt"
	"testing"
)

// TestQueryEventsPages: "load older" pages backwards with Before, the poll
// forwards with After, and Kinds filters; every page is oldest first.
func TestQueryEventsPages(t *testing.T) {
	ctx := context.Background()
	s, _ := openWithInstance(t, "one", "two")
	kinds := []string{"connect", "chat", "map", "disconnect"}
	var ids []int64
	for i := range 20 {
		e, err := s.AddEvent(ctx, Event{Instance: "one", Kind: kinds[i%len(kinds)], Text: fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	if _, err := s.AddEvent(ctx, Event{Instance: "two", Kind: "chat", Text: "other instance"}); err != nil {
		t.Fatal(err)
	}
	texts := func(evs []Event) string {
		out := ""
		for _, e := range evs {
			out += e.Text + " "
		}
		return out
	}
	cases := []struct {
		name string
		q    EventQuery
		want string
	}{
		{"newest five", EventQuery{Limit: 5}, "15 16 17 18 19 "},
		{"five before the sixteenth", EventQuery{Before: ids[15], Limit: 5}, "10 11 12 13 14 "},
		{"before the third", EventQuery{Before: ids[2], Limit: 5}, "0 1 "},
		{"after the seventeenth", EventQuery{After: ids[17]}, "18 19 "},
		{"chat only", EventQuery{Kinds: []string{"chat"}, Limit: 3}, "9 13 17 "},
		{"chat and map before the tenth", EventQuery{Kinds: []string{"chat", "map"}, Before: ids[9]}, "1 2 5 6 "},
		{"unknown kind", EventQuery{Kinds: []string{"nope"}}, ""},
	}
	for _, c := range cases {
		evs, err := s.QueryEvents(ctx, "one", c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := texts(evs); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}
