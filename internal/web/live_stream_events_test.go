package web

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/roles"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
)

// liveQuery is the stream query an instance page's script sends: every
// card's cursors (data-live-query), joined.
func liveQuery(page string) string {
	var parts []string
	for _, m := range regexp.MustCompile(`data-live-query="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		parts = append(parts, strings.ReplaceAll(m[1], "&amp;", "&"))
	}
	return strings.Join(parts, "&")
}

// nextEvents collects the "event" events of evs up to and with the one
// whose text is until.
func nextEvents(t *testing.T, evs <-chan sseEvent, until string) ([]sseEvent, []views.Event) {
	t.Helper()
	var raw []sseEvent
	var got []views.Event
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-evs:
			if !ok {
				t.Fatalf("the stream ended after %+v", got)
			}
			if ev.event != "event" {
				continue
			}
			var v views.Event
			if err := json.Unmarshal([]byte(ev.data), &v); err != nil {
				t.Fatalf("event %q: %v", ev.data, err)
			}
			raw, got = append(raw, ev), append(got, v)
			if v.Text == until {
				return raw, got
			}
		case <-timeout:
			t.Fatalf("no event %q on the stream (got %+v)", until, got)
		}
	}
}

// TestEventStream: the instance page's one event stream, opened with the
// page's cursors, sends the Events card every event stored after the page
// as an "event", exactly those the events API answers the same person (a
// viewer and an operator get no rcon event, an admin share does); a
// reconnect with the last event's id gets only what was stored while it
// was away, and an id of the chat card's older pages ("A-B") still
// resumes its lists. A malformed cursor is refused naming it.
func TestEventStream(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner := e.quickUser("olive", false)
	e.mustCreate("alpha", owner)
	add := func(ev store.Event) store.Event {
		t.Helper()
		ev.Instance = "alpha"
		stored, err := e.st.AddEvent(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		return stored
	}
	add(store.Event{Kind: "chat", Player: "Ellis", Text: "before the page"})
	for _, tc := range []struct {
		role roles.Role
		rcon bool
	}{{roles.Viewer, false}, {roles.Operator, false}, {roles.Admin, true}} {
		u := e.quickUser(string(tc.role)+"-user", false)
		if err := e.st.SetShare(ctx, "alpha", u.ID, string(tc.role)); err != nil {
			t.Fatal(err)
		}
		c := e.as(u)
		_, page := c.get("/instances/alpha")
		query := liveQuery(page)
		m := regexp.MustCompile(`events_after=(\d+)`).FindStringSubmatch(query)
		if m == nil {
			t.Fatalf("the Events card has no stream cursor: %q", query)
		}
		resp, evs, stop := openStream(t, c, "/instances/alpha/live/stream?"+query, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s's stream = %d", tc.role, resp.StatusCode)
		}
		add(store.Event{Kind: "rcon", Text: "sv_cheats 1"})
		add(store.Event{Kind: "map", Map: "c2m1_highway", Text: "map " + string(tc.role)})
		raw, got := nextEvents(t, evs, "map "+string(tc.role))
		_, body := c.get("/api/v1/instances/alpha/events?after=" + m[1])
		var api struct{ Events []views.Event }
		if err := json.Unmarshal([]byte(body), &api); err != nil {
			t.Fatalf("events API: %v %s", err, body)
		}
		ids := func(evs []views.Event) string {
			var s []string
			for _, e := range evs {
				s = append(s, strconv.FormatInt(e.ID, 10)+e.Kind)
			}
			return strings.Join(s, " ")
		}
		if ids(got) != ids(api.Events) {
			t.Errorf("%s's stream sent %s, the events API answers %s", tc.role, ids(got), ids(api.Events))
		}
		sawRCON := strings.Contains(ids(got), "rcon")
		if sawRCON != tc.rcon {
			t.Errorf("%s's stream has the rcon event: %v, want %v", tc.role, sawRCON, tc.rcon)
		}
		stop()

		// Away: what was stored meanwhile comes once, nothing before it.
		last := raw[len(raw)-1].id
		if n := strings.Count(last, "-"); n != 2 {
			t.Fatalf("event id %q, want the three cursors A-B-C", last)
		}
		add(store.Event{Kind: "chat", Player: "Zoey", Text: "away " + string(tc.role)})
		_, evs, stop = openStream(t, c, "/instances/alpha/live/stream?"+query, last)
		_, again := nextEvents(t, evs, "away "+string(tc.role))
		if len(again) != 1 {
			t.Errorf("%s after a reconnect got %+v, want only the line stored while away", tc.role, again)
		}
		stop()
	}

	// An id of an older page (the chat card's two cursors) resumes them.
	c := e.as(owner)
	_, page := c.get("/instances/alpha")
	query := liveQuery(page)
	mc := regexp.MustCompile(`chat_after=(\d+)&joins_after=(\d+)`).FindStringSubmatch(query)
	if mc == nil {
		t.Fatalf("no chat cursors in %q", query)
	}
	add(store.Event{Kind: "chat", Player: "Nick", Text: "old id"})
	_, evs, _ := openStream(t, c, "/instances/alpha/live/stream?chat_after=0&joins_after=0", mc[1]+"-"+mc[2])
	if ev, line := nextChat(t, evs); line.Text != "old id" {
		t.Errorf("a reconnect with an A-B id = %+v %+v, want only the new line", ev, line)
	}

	if resp, body := c.get("/instances/alpha/live/stream?events_after=-1"); resp.StatusCode < 400 || resp.StatusCode >= 500 || !strings.Contains(body, "events_after") {
		t.Errorf("a malformed cursor = %d %s, want a 4xx naming events_after", resp.StatusCode, body)
	}
}
