package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/events"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
)

// TestInstanceEventsCLI: instance events prints what the panel recorded,
// oldest first, as a table or as the API's JSON, only the kinds asked; a
// bad --kind or -n exits non-zero naming the flag; an unknown instance is
// refused.
func TestInstanceEventsCLI(t *testing.T) {
	f := newCLIFixture(t)
	f.must(t, "Account-pass-42\n", "user", "create", "alice", "--admin")
	f.must(t, "", "instance", "create", "vs1", "--owner", "alice")
	if out := f.must(t, "", "instance", "events", "vs1"); !strings.Contains(out, "No events of vs1 yet") {
		t.Errorf("events without any:\n%s", out)
	}
	f.withStore(t, func(st *store.Store) {
		for _, e := range []store.Event{
			{Kind: "entered", Player: "Ellis", SteamID: "STEAM_1:0:11"},
			{Kind: "chat", Player: "Ellis", Text: "hello there", Team: "Survivor"},
			{Kind: "map", Map: "c2m1_highway"},
			{Kind: "rcon", Text: "sv_cheats 0"},
		} {
			e.Instance = "vs1"
			if _, err := st.AddEvent(context.Background(), e); err != nil {
				t.Fatal(err)
			}
		}
	})
	out := f.must(t, "", "instance", "events", "vs1")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.Contains(lines[0], "entered") || !strings.Contains(lines[1], "chat") || !strings.Contains(lines[1], "Ellis hello there") ||
		!strings.Contains(lines[2], "c2m1_highway") || !strings.Contains(lines[3], "rcon") {
		t.Errorf("events table, want 4 lines oldest first:\n%s", out)
	}
	if out := f.must(t, "", "instance", "events", "vs1", "-n", "1"); strings.Count(out, "\n") != 1 || !strings.Contains(out, "sv_cheats") {
		t.Errorf("events -n 1, want the newest only:\n%s", out)
	}
	var page struct {
		Events []views.Event `json:"events"`
	}
	if err := json.Unmarshal([]byte(f.must(t, "", "instance", "events", "vs1", "--kind", "chat, map", "--json")), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 2 || page.Events[0].Kind != "chat" || page.Events[0].Team != "Survivor" || page.Events[1].Map != "c2m1_highway" {
		t.Errorf("events --kind chat,map --json = %+v", page.Events)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--kind", "chat,shout"}, `--kind: "shout" is not an event kind`},
		{[]string{"-n", "-1"}, "-n -1"},
		{[]string{"-n", "100000"}, "-n 100000"},
	} {
		code, _, errOut := f.run(t, "", append([]string{"instance", "events", "vs1"}, c.args...)...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("events %v: exit %d, want non-zero naming %s:\n%s", c.args, code, c.want, errOut)
		}
	}
	if code, _, errOut := f.run(t, "", "instance", "events", "nope"); code == 0 || !strings.Contains(errOut, "nope") {
		t.Errorf("events of an unknown instance: exit %d\n%s", code, errOut)
	}
}

// TestInstanceEventsFollow: --follow -n 0 prints nothing recorded before it
// started and each event recorded while it runs, once, as JSON lines with
// --json, only of the kinds asked; Ctrl-C (its context) ends it with exit 0.
func TestInstanceEventsFollow(t *testing.T) {
	f := newCLIFixture(t)
	f.must(t, "Account-pass-42\n", "user", "create", "alice", "--admin")
	f.must(t, "", "instance", "create", "vs1", "--owner", "alice")
	add := func(e store.Event) {
		t.Helper()
		e.Instance = "vs1"
		f.withStore(t, func(st *store.Store) {
			if _, err := st.AddEvent(context.Background(), e); err != nil {
				t.Fatal(err)
			}
		})
	}
	add(store.Event{Kind: "chat", Player: "Nick", Text: "before"})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	env := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: envFunc(f.env)}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, env, []string{"instance", "events", "vs1", "-n", "0", "--follow", "--json", "--kind", "chat"})
	}()
	waitFor := func(what string, ok func(string) bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !ok(out.String()) {
			if time.Now().After(deadline) {
				t.Fatalf("%s; printed:\n%s\nstderr:\n%s", what, out.String(), errOut.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(errOut.String(), "following the events of vs1") {
		if time.Now().After(deadline) {
			t.Fatalf("--follow did not start; stderr:\n%s", errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	add(store.Event{Kind: "map", Map: "c1m1_hotel"})
	add(store.Event{Kind: "chat", Player: "Rochelle", Text: "after one"})
	waitFor("the first new chat line was not printed", func(s string) bool { return strings.Contains(s, "after one") })
	add(store.Event{Kind: "chat", Player: "Coach", Text: "after two"})
	waitFor("the second new chat line was not printed", func(s string) bool { return strings.Contains(s, "after two") })
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after cancel\n%s", code, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("--follow did not end when its context was cancelled")
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var e views.Event
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		got = append(got, e.Kind+" "+e.Text)
	}
	if strings.Join(got, "|") != "chat after one|chat after two" {
		t.Errorf("followed %q, want the two new chat lines only, each once", got)
	}
}

// TestEventKindColumnFitsEveryKind: the table's fixed kind column is as
// wide as the longest kind, so lines printed in different batches align.
func TestEventKindColumnFitsEveryKind(t *testing.T) {
	for _, k := range events.Kinds() {
		if len(k) > 10 {
			t.Errorf("kind %q is longer than the 10 characters of instance events' kind column", k)
		}
	}
}
