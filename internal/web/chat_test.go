package web

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
)

// TestChatView: a simulated player on a real stand-in server says
// something to all and to the team; the log lines reach the panel's event
// recorder, and the chat card of the instance page shows each with the
// player's name and team, and the join; the events API has the team; the
// player's history is found by SteamID by those who may see the instance,
// and not by others.
func TestChatView(t *testing.T) {
	me := newMapsEnvWith(t, true)
	ctx := context.Background()
	srv := me.gs.server("alpha")
	m := regexp.MustCompile(`\d+:(\d+):"Ellie"`).FindStringSubmatch(srv.Exec("users"))
	if m == nil {
		t.Fatalf("the simulated player is not on the server:\n%s", srv.Exec("users"))
	}
	srv.Exec("fakesrcds_chat " + m[1] + " hello <everyone>")
	srv.Exec("fakesrcds_chat " + m[1] + " (team)rush the tank")
	var evs []store.Event
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		evs, _ = me.st.QueryEvents(ctx, "alpha", store.EventQuery{Kinds: []string{"chat", "team_chat"}})
		if len(evs) >= 2 {
			break
		}
	}
	if len(evs) < 2 {
		t.Fatalf("the chat lines did not reach the store: %+v", evs)
	}

	_, page := me.as(me.viewer).get("/instances/alpha")
	card := page[strings.Index(page, `id="chat"`):]
	card = html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(card[:strings.Index(card, "</section>")], ""))
	for _, want := range []string{"Ellie (Survivor): hello <everyone>", "team Ellie (Survivor): rush the tank", "Ellie entered the game", "Ellie connected"} {
		if !strings.Contains(card, want) {
			t.Errorf("the chat card lacks %q:\n%s", want, card)
		}
	}
	if strings.Index(card, "rush the tank") > strings.Index(card, "hello <everyone>") {
		t.Error("the chat card is not newest first")
	}
	_, body := me.as(me.viewer).get("/api/v1/instances/alpha/events?kind=team_chat")
	if !strings.Contains(body, `"team": "Survivor"`) || !strings.Contains(body, `"text": "rush the tank"`) {
		t.Errorf("the events API lacks the team chat with its team: %s", body)
	}

	resp, body := me.as(me.viewer).get("/api/v1/players/STEAM_1:0:1")
	var h views.PlayerHistory
	if err := json.Unmarshal([]byte(body), &h); err != nil || resp.StatusCode != http.StatusOK || len(h.Instances) != 1 ||
		h.Instances[0].Instance != "alpha" || !h.Instances[0].Online || h.Names[0] != "Ellie" || h.SteamID64 != "76561197960265730" {
		t.Fatalf("the player's history = %d %s", resp.StatusCode, body)
	}
	if _, page := me.as(me.viewer).get("/players?steamid=76561197960265730"); !strings.Contains(page, `data-instance="alpha"`) || !strings.Contains(page, "Ellie") {
		t.Errorf("the players page lacks the history:\n%s", page)
	}
	stranger := me.as(me.quickUser("stranger", false))
	if resp, _ := stranger.get("/api/v1/players/STEAM_1:0:1"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a stranger's lookup = %d, want 404", resp.StatusCode)
	}
	if resp, body := stranger.get("/api/v1/players/STEAM_9"); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `"field": "steamid"`) {
		t.Errorf("a malformed SteamID = %d %s, want 422 naming steamid", resp.StatusCode, body)
	}
	if resp, page := stranger.get("/players?steamid=nope"); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "is not a SteamID") {
		t.Errorf("a malformed SteamID on the page = %d", resp.StatusCode)
	}
}
