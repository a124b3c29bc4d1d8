package web

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/views"
)

// sseEvent is one server-sent event as an EventSource sees it.
type sseEvent struct{ id, event, data string }

// openStream opens path as c and returns its events until the test ends
// or stop is called; lastID, when set, is sent as Last-Event-ID (a
// reconnecting EventSource).
func openStream(t *testing.T, c *client, path, lastID string) (*http.Response, <-chan sseEvent, func()) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", c.e.ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan sseEvent, 100)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			if line == "" {
				if ev.data != "" {
					out <- ev
				}
				ev = sseEvent{}
				continue
			}
			field, value, _ := strings.Cut(line, ": ")
			switch field {
			case "id":
				ev.id = value
			case "event":
				ev.event = value
			case "data":
				ev.data = value
			}
		}
	}()
	t.Cleanup(stop)
	return resp, out, stop
}

// nextChat waits for the next "chat" or "join" event of evs, skipping the
// live state and the Events card's "event"s.
func nextChat(t *testing.T, evs <-chan sseEvent) (sseEvent, views.Event) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-evs:
			if !ok {
				t.Fatal("the stream ended")
			}
			if ev.event != "chat" && ev.event != "join" {
				continue
			}
			var v views.Event
			if err := json.Unmarshal([]byte(ev.data), &v); err != nil {
				t.Fatalf("event %q: %v", ev.data, err)
			}
			return ev, v
		case <-timeout:
			t.Fatal("no chat or join event on the stream")
		}
	}
}

// TestChatStream: the instance page's one event stream, opened with the
// chat card's cursors, sends a line said on the stand-in server (over its
// UDP log) as a "chat" event with name, team and time, and none of the
// lines the page already shows; a reconnect with the last event's id gets
// exactly the line said while it was away. A malformed cursor is refused
// naming it, and someone who may not see the instance gets no stream.
func TestChatStream(t *testing.T) {
	me := newMapsEnvWith(t, true)
	srv := me.gs.server("alpha")
	m := regexp.MustCompile(`\d+:(\d+):"Ellie"`).FindStringSubmatch(srv.Exec("users"))
	if m == nil {
		t.Fatalf("the simulated player is not on the server:\n%s", srv.Exec("users"))
	}
	viewer := me.as(me.viewer)
	// The page's own cursors, after the player's join is on it.
	var query string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, page := viewer.get("/instances/alpha")
		query = liveQuery(page)
		if !strings.Contains(query, "chat_after=") {
			t.Fatalf("the chat card has no stream cursors: %q", query)
		}
		if strings.Contains(page, "entered the game") || time.Now().After(deadline) {
			break
		}
	}
	resp, evs, stop := openStream(t, viewer, "/instances/alpha/live/stream?"+query, "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	said := time.Now()
	srv.Exec("fakesrcds_chat " + m[1] + " (team)hold the door")
	ev, line := nextChat(t, evs)
	// Logged, not asserted (speed is a benchmark's job).
	t.Logf("the line reached the stream %v after the server was told to say it", time.Since(said).Round(time.Millisecond))
	if ev.event != "chat" || line.Kind != "team_chat" || line.Player != "Ellie" || line.Team != "Survivor" ||
		line.Text != "hold the door" || line.At.IsZero() || line.SteamID != "STEAM_1:0:1" {
		t.Fatalf("first chat event = %+v %+v, want Ellie's team line (none the page shows)", ev, line)
	}
	stop()

	srv.Exec("fakesrcds_chat " + m[1] + " while you were away")
	_, evs, _ = openStream(t, viewer, "/instances/alpha/live/stream?"+query, ev.id)
	ev2, missed := nextChat(t, evs)
	if ev2.event != "chat" || missed.Text != "while you were away" || missed.Kind != "chat" {
		t.Fatalf("after a reconnect = %+v %+v, want only the line said while away", ev2, missed)
	}

	if resp, body := viewer.get("/instances/alpha/live/stream?chat_after=x"); resp.StatusCode < 400 || resp.StatusCode >= 500 || !strings.Contains(body, "chat_after") {
		t.Errorf("a malformed cursor = %d %s, want a 4xx naming chat_after", resp.StatusCode, body)
	}
	stranger := me.as(me.quickUser("stranger", false))
	resp, evs, _ = openStream(t, stranger, "/instances/alpha/live/stream?"+query, "")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("a stranger's stream = %d, want 404", resp.StatusCode)
	}
	for ev := range evs {
		if ev.event != "" {
			t.Errorf("a stranger got %+v", ev)
		}
	}
}
