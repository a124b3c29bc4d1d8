package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/srcds"
)

// The instance of the RCON and live-state checks: simulated players with
// scores, and the stand-in's default map-load stall (3 s per changelevel).
const (
	rconInst  = "rcon1"
	rconInstP = 27050
)

// liveView is the part of GET /api/v1/instances/NAME/live these checks read.
type liveView struct {
	State string `json:"state"`
	Live  struct {
		Online       bool   `json:"online"`
		NotAnswering bool   `json:"not_answering"`
		Hibernating  bool   `json:"hibernating"`
		Map          string `json:"map"`
		Humans       int    `json:"humans"`
		Players      []struct {
			Name    string `json:"name"`
			SteamID string `json:"steam_id"`
			Score   int    `json:"score"`
		} `json:"players"`
	} `json:"live"`
}

func (p *panel) live(t *testing.T, name string) liveView {
	t.Helper()
	code, body := p.do(t, "GET", "/api/v1/instances/"+name+"/live", nil, nil)
	var v liveView
	if code != http.StatusOK {
		t.Fatalf("GET live of %s: %d %s", name, code, strings.TrimSpace(body))
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("GET live of %s: %v", name, err)
	}
	return v
}

// rcon sends one console command through the panel's RCON API.
func (p *panel) rcon(t *testing.T, name, command string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"command": command})
	code, body := p.do(t, "POST", "/api/v1/instances/"+name+"/rcon", strings.NewReader(string(b)),
		http.Header{"X-CSRF-Token": {p.csrf}, "Content-Type": {"application/json"}})
	var r struct {
		Response string `json:"response"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &r) != nil {
		t.Fatalf("RCON %q through the panel: %d %s", command, code, strings.TrimSpace(body))
	}
	if strings.HasPrefix(r.Response, "error:") {
		t.Fatalf("RCON %q through the panel: %s", command, r.Response)
	}
	return r.Response
}

// rconAuths counts the stand-in's auth lines for an instance in the
// journal (`rcon from "IP:PORT": password accepted`).
func (h *harness) rconAuths(t *testing.T, name string) int {
	t.Helper()
	return strings.Count(h.journal(t, "-u", unitName(name)), `": password accepted`)
}

// rconChecks: live state and RCON through the real panel against a stand-in
// that is as unkind as srcds (docs/srcds.md §8): no A2S on loopback, map
// loads that stall the server, rcon_password closing sessions.
func (h *harness) rconChecks(t *testing.T) {
	h.create(t, rconInst, rconInstP, "-fakeplayers", "3")
	p := h.login(t)
	p.api(t, "POST", "/api/v1/instances/"+rconInst+"/start")
	h.mustState(t, rconInst, "active")
	defer func() {
		p.api(t, "POST", "/api/v1/instances/"+rconInst+"/stop")
	}()

	h.check(t, "live/players-scores-without-loopback-a2s", func(t *testing.T) {
		// The stand-in answers A2S on the guest's LAN address but ignores
		// it from loopback, as the real server does...
		h.a2s(t, rconInstP)
		err := h.c.inNetNS(func() error {
			ctx, cancel := context.WithTimeout(h.ctx, 2*time.Second)
			defer cancel()
			_, _, err := srcds.Query(ctx, fmt.Sprintf("127.0.0.1:%d", rconInstP))
			return err
		})
		if err == nil {
			t.Fatal("the stand-in answered A2S on 127.0.0.1; this check needs it to ignore loopback")
		}
		// ...and the panel still shows every player with a score (A2S on
		// the host's address) and a SteamID (RCON status on loopback).
		var v liveView
		if err := within(h.ctx, 30*time.Second, "players with scores in the panel's live API", func() (bool, error) {
			v = p.live(t, rconInst)
			if !v.Live.Online || len(v.Live.Players) != 3 {
				return false, fmt.Errorf("online %v, %d players", v.Live.Online, len(v.Live.Players))
			}
			for _, pl := range v.Live.Players {
				if pl.Score == 0 || pl.SteamID == "" {
					return false, fmt.Errorf("player %+v without score or SteamID", pl)
				}
			}
			return true, nil
		}); err != nil {
			t.Fatalf("%v; last live state %+v", err, v)
		}
	})

	h.check(t, "rcon/survives-three-changelevels", func(t *testing.T) {
		// The panel's two kept connections: the console's (made by this
		// first command) and the live poller's (online with SteamIDs means
		// its status over RCON answered).
		p.rcon(t, rconInst, "status")
		if err := within(h.ctx, 30*time.Second, "live state from RCON", func() (bool, error) {
			v := p.live(t, rconInst)
			return v.Live.Online && len(v.Live.Players) > 0 && v.Live.Players[0].SteamID != "", nil
		}); err != nil {
			t.Fatal(err)
		}
		before := h.rconAuths(t, rconInst)
		if before < 2 {
			t.Fatalf("%d RCON auths in the journal before the map changes, want the panel's two (console and live state)", before)
		}
		maps := []string{"c2m1_highway", "c3m1_plankcountry", "c4m1_milltown_a"}
		offline := 0
		watch := func(want string) {
			t.Helper()
			if err := within(h.ctx, 60*time.Second, "map "+want+" in the live state", func() (bool, error) {
				v := p.live(t, rconInst)
				if !v.Live.Online {
					offline++
				}
				return v.Live.Map == want && !v.Live.NotAnswering, nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		for _, m := range maps {
			p.rcon(t, rconInst, "changelevel "+m)
			watch(m) // the live API, polled through the load
		}
		if got := p.rcon(t, rconInst, "status"); !strings.Contains(got, maps[len(maps)-1]) {
			t.Errorf("status after the changelevels: %q", got)
		}
		// Each changelevel's server.cfg would have closed the connections
		// had it set rcon_password; the launch cfg sets it once.
		if after := h.rconAuths(t, rconInst); after != before {
			t.Errorf("RCON auths went from %d to %d over three changelevels; the panel's connections must survive them\n%s",
				before, after, lastLines(h.journal(t, "-u", unitName(rconInst)), 30))
		}
		if offline > 0 {
			t.Errorf("the live API showed the instance offline %d times during the map changes", offline)
		}
	})
}
