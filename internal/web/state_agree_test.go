package web

import (
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/instance"
)

// TestPlayersCardAgreesWithTheHeader: a server that runs but has not
// answered the live poll yet (just started) is "waiting for the server" in
// the Players card, never "not running" under a Running header; a stopped
// one is "not running" in both.
func TestPlayersCardAgreesWithTheHeader(t *testing.T) {
	e := newEnv(t)
	admin := e.quickUser("root", true)
	e.mustCreate("fresh", admin)
	c := e.as(admin)
	_, page := c.get("/instances/fresh")
	if !strings.Contains(page, `data-state="stopped"`) || !strings.Contains(page, `<p class="sub" id="live-summary">not running</p>`) {
		t.Errorf("stopped: header and card disagree:\n%s", page)
	}
	if err := e.sup.set("fresh", instance.Running); err != nil {
		t.Fatal(err)
	}
	_, page = c.get("/instances/fresh")
	if !strings.Contains(page, `data-state="running"`) {
		t.Fatal("the header does not say running")
	}
	if strings.Contains(page, "not running") {
		t.Error("header running, but the page says 'not running'")
	}
	if !strings.Contains(page, `id="live-summary">waiting for the server…</p>`) || !strings.Contains(page, "Waiting for the server to answer…") {
		t.Error("a running server without live data is not 'waiting for the server'")
	}
}
