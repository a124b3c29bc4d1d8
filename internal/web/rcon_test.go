package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/store"
)

func TestRCONConsole(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.quickUser("alice", false)
	e.mustCreate("alpha", u)
	c := e.as(u)
	resp, body := c.do("POST", "/api/v1/instances/alpha/rcon", `{"command": "status"}`, nil)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "not running") {
		t.Errorf("RCON to a stopped instance = %d %s, want 409", resp.StatusCode, body)
	}
	if err := e.svc.Start(ctx, "alpha"); err != nil {
		t.Fatal(err)
	}
	resp, body = c.do("POST", "/api/v1/instances/alpha/rcon", `{"command": "status"}`, nil)
	var r rconReply
	json.Unmarshal([]byte(body), &r)
	if resp.StatusCode != http.StatusOK || r.Response != "reply to status" || r.User != "alice" {
		t.Fatalf("API RCON = %d %s", resp.StatusCode, body)
	}
	// The page's script posts the form and asks for JSON.
	form := url.Values{"command": {"sv_cheats"}, "csrf_token": {c.csrf}}
	req, _ := http.NewRequest("POST", e.ts.URL+"/instances/alpha/rcon", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp2, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp2.Body).Decode(&r)
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusOK || r.Response != "reply to sv_cheats" {
		t.Fatalf("page RCON = %d %+v", resp2.StatusCode, r)
	}
	for _, bad := range []string{`{"command": ""}`, `{"command": "a\nb"}`, `{"command": "` + strings.Repeat("x", 600) + `"}`} {
		if resp, _ := c.do("POST", "/api/v1/instances/alpha/rcon", bad, nil); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("bad command %.20s = %d, want 422", bad, resp.StatusCode)
		}
	}
	_, body = c.get("/api/v1/instances/alpha/rcon")
	if !strings.Contains(body, "reply to status") || !strings.Contains(body, "reply to sv_cheats") {
		t.Errorf("history = %s", body)
	}
	if _, page := c.get("/instances/alpha"); !strings.Contains(page, "reply to sv_cheats") {
		t.Error("the instance page does not show the RCON history")
	}
	// A secret set from the console stays out of the history that shared
	// users can read; the sender still sees the reply.
	resp, body = c.do("POST", "/api/v1/instances/alpha/rcon", `{"command": "sv_password hunter2secret"}`, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "hunter2secret") {
		t.Fatalf("RCON sv_password = %d %s", resp.StatusCode, body)
	}
	_, body = c.get("/api/v1/instances/alpha/rcon")
	if strings.Contains(body, "hunter2secret") || !strings.Contains(body, `sv_password \u003chidden\u003e`) {
		t.Errorf("history after setting a password = %s", body)
	}
}

func TestEventsAndLogsAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.quickUser("alice", false)
	e.mustCreate("alpha", u)
	first, err := e.st.AddEvent(ctx, store.Event{Instance: "alpha", Kind: "connect", Player: "Ellie"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.AddEvent(ctx, store.Event{Instance: "alpha", Kind: "chat", Player: "Ellie", Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	c := e.as(u)
	_, body := c.get("/api/v1/instances/alpha/events?after=" + itoa(first.ID))
	if strings.Contains(body, `"connect"`) || !strings.Contains(body, `"hello"`) {
		t.Errorf("events after %d = %s", first.ID, body)
	}
	if _, page := c.get("/instances/alpha"); !strings.Contains(page, "hello") {
		t.Error("the instance page does not show events")
	}
	resp, body := c.get("/api/v1/instances/alpha/logs?n=5")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "log line of alpha") {
		t.Errorf("logs = %d %s", resp.StatusCode, body)
	}
	if resp, _ := c.get("/api/v1/instances/alpha/logs?n=-1"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("logs?n=-1 = %d, want 400", resp.StatusCode)
	}
	// The stream sends the tail after a reset, then followed lines.
	_, stream := c.stream("/instances/alpha/logs/stream")
	if !strings.Contains(stream, "event: reset") {
		t.Errorf("stream starts with %q", stream)
	}
}
