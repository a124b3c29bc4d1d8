package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The instance of the ban checks.
const (
	banInst  = "ban1"
	banInstP = 27070
)

// banChecks: a ban through the panel's API drops the player from a
// running server under the real unit, and the staged left4me_bans.cfg,
// read by the hardened unit at its next start, bans the player again
// after a restart; lifting it (CLI) unbans live (docs/srcds.md §7).
func (h *harness) banChecks(t *testing.T) {
	h.create(t, banInst, banInstP)
	p := h.login(t)
	p.api(t, "POST", "/api/v1/instances/"+banInst+"/start")
	h.mustState(t, banInst, "active")
	defer func() {
		p.api(t, "POST", "/api/v1/instances/"+banInst+"/stop")
		h.cliOK(t, "instance", "delete", banInst, "--yes")
	}()

	h.check(t, "bans/live-and-staged-at-start", func(t *testing.T) {
		p.rcon(t, banInst, "fakesrcds_join STEAM_1:1:42 Villain")
		if st := p.rcon(t, banInst, "status"); !strings.Contains(st, "STEAM_1:1:42") {
			t.Fatalf("the player did not join:\n%s", st)
		}
		code, body := p.do(t, "POST", "/api/v1/bans", strings.NewReader(`{"steam_id": "[U:1:85]", "reason": "e2e"}`),
			http.Header{"X-CSRF-Token": {p.csrf}, "Content-Type": {"application/json"}})
		if code != http.StatusCreated || !strings.Contains(body, `"instance": "`+banInst+`"`) || strings.Contains(body, `"error"`) {
			t.Fatalf("POST /api/v1/bans: %d %s", code, body)
		}
		if st := p.rcon(t, banInst, "status"); strings.Contains(st, "STEAM_1:1:42") {
			t.Errorf("the banned player is still on:\n%s", st)
		}
		h.cliOK(t, "instance", "restart", banInst)
		h.mustState(t, banInst, "active")
		var list string
		if err := within(h.ctx, 30*time.Second, "the staged ban after the restart", func() (bool, error) {
			list = p.rcon(t, banInst, "listid")
			return strings.Contains(list, "STEAM_1:1:42 : permanent"), nil
		}); err != nil {
			t.Fatalf("%v; listid:\n%s", err, list)
		}
		out := h.cliOK(t, "ban", "remove", "1")
		if !strings.Contains(out, banInst+": applied live") {
			t.Errorf("ban remove: %s", out)
		}
		if list := p.rcon(t, banInst, "listid"); strings.Contains(list, "STEAM_1:1:42") {
			t.Errorf("after ban remove the server still bans:\n%s", list)
		}
		h.measure("bans", fmt.Sprintf("ban pushed live and staged at start on %s", banInst))
	})
}
