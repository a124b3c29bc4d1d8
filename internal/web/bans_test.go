package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/instance"
)

// TestBanScopeByRole: a ban covers the instances its author may ban on
// (owner, admin share), not those shared in the operator role; an account
// that may ban nowhere, or a non-administrator asking for a global ban, is
// refused naming the field; the list shows a ban only to who may see one
// of its instances; only its author, an administrator or who may ban on
// all its instances lifts it. The panel's form posts the same.
func TestBanScopeByRole(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.quickUser("alice", false), e.quickUser("bob", false)
	carol, dave := e.quickUser("carol", false), e.quickUser("dave", false)
	e.mustCreate("alpha", alice)
	e.mustCreate("beta", bob)
	e.mustCreate("gamma", bob)
	for _, sh := range []struct {
		inst string
		id   int64
		role string
	}{{"alpha", carol.ID, "operator"}, {"beta", carol.ID, "admin"}, {"gamma", dave.ID, "operator"}} {
		if err := e.st.SetShare(ctx, sh.inst, sh.id, sh.role); err != nil {
			t.Fatal(err)
		}
	}
	ca, da, al := e.as(carol), e.as(dave), e.as(alice)

	resp, body := ca.do("POST", "/api/v1/bans", `{"steam_id": "STEAM_0:0:77", "reason": "cheating"}`, nil)
	if resp.StatusCode != http.StatusCreated || !strings.Contains(body, `"instances": [
      "beta"
    ]`) {
		t.Fatalf("carol's ban = %d, want 201 on beta only:\n%s", resp.StatusCode, body)
	}
	if resp, body := da.do("POST", "/api/v1/bans", `{"steam_id": "STEAM_1:0:78"}`, nil); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `"field": "instances"`) {
		t.Errorf("dave (operator only) banning = %d, want 422 naming instances:\n%s", resp.StatusCode, body)
	}
	if resp, body := ca.do("POST", "/api/v1/bans", `{"steam_id": "STEAM_1:0:78", "instances": ["alpha"]}`, nil); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "admin role") {
		t.Errorf("carol banning on alpha (operator) = %d, want 422:\n%s", resp.StatusCode, body)
	}
	if resp, body := al.do("POST", "/api/v1/bans", `{"steam_id": "STEAM_1:0:78", "global": true}`, nil); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `"field": "global"`) {
		t.Errorf("alice's global ban = %d, want 422 naming global:\n%s", resp.StatusCode, body)
	}
	if list, _ := e.st.ActiveBans(ctx, e.clock()); len(list) != 1 {
		t.Fatalf("refused bans were stored: %+v", list)
	}

	// The form of the ban list page posts the same.
	if resp, body := al.post("/bans", url.Values{"steam_id": {"[U:1:21]"}, "duration": {"2h"}, "reason": {"spam"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("alice's ban from the form = %d:\n%s", resp.StatusCode, body)
	}
	if resp, body := al.post("/bans", url.Values{"steam_id": {"STEAM_1:0:5"}, "duration": {"-1"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "negative") {
		t.Errorf("a negative duration from the form = %d:\n%s", resp.StatusCode, body)
	}
	_, page := al.get("/bans")
	if !strings.Contains(page, "STEAM_1:1:10") || strings.Contains(page, "STEAM_1:0:77") || !strings.Contains(page, "spam") {
		t.Errorf("alice's ban list should show her ban and not carol's on beta:\n%s", page)
	}
	_, page = e.as(bob).get("/bans?q=cheat")
	if !strings.Contains(page, "STEAM_1:0:77") || !strings.Contains(page, "carol") || strings.Contains(page, "STEAM_1:1:10") {
		t.Errorf("bob's search for cheat should find carol's ban only:\n%s", page)
	}

	list, _ := e.st.ActiveBans(ctx, e.clock())
	var carols, alices int64
	for _, b := range list {
		if b.ByName == "carol" {
			carols = b.ID
		} else {
			alices = b.ID
		}
	}
	if resp, _ := e.as(bob).post("/bans/"+itoa(alices)+"/remove", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("bob lifting alice's ban on alpha = %d, want 404 (he cannot see it)", resp.StatusCode)
	}
	if resp, _ := e.as(bob).post("/bans/"+itoa(carols)+"/remove", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("bob (owner of beta) lifting carol's ban = %d, want 303", resp.StatusCode)
	}
	if resp, body := da.do("DELETE", "/api/v1/bans/"+itoa(alices), "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("dave lifting alice's ban = %d:\n%s", resp.StatusCode, body)
	}
	if list, _ := e.st.ActiveBans(ctx, e.clock()); len(list) != 1 || list[0].ID != alices {
		t.Errorf("bans left = %+v, want alice's", list)
	}
}

// TestKickFromThePage: an operator kicks from the instance page with a
// reason; a malformed player is refused naming the field and nothing is
// sent; a viewer may not kick.
func TestKickFromThePage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice, carol, vic := e.quickUser("alice", false), e.quickUser("carol", false), e.quickUser("vic", false)
	e.mustCreate("alpha", alice)
	_ = e.st.SetShare(ctx, "alpha", carol.ID, "operator")
	_ = e.st.SetShare(ctx, "alpha", vic.ID, "viewer")
	if err := e.sup.set("alpha", instance.Running); err != nil {
		t.Fatal(err)
	}
	ca := e.as(carol)
	if resp, body := ca.post("/instances/alpha/kick", url.Values{"player": {"[U:1:3]"}, "reason": {"afk"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("kick = %d:\n%s", resp.StatusCode, body)
	}
	if resp, body := ca.post("/instances/alpha/kick", url.Values{"player": {"Ellis"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "userid nor a SteamID") {
		t.Errorf("kicking a name = %d:\n%s", resp.StatusCode, body)
	}
	if resp, _ := e.as(vic).post("/instances/alpha/kick", url.Values{"player": {"2"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer's kick = %d, want 403", resp.StatusCode)
	}
	hist, err := e.st.ListRCON(ctx, "alpha", 0)
	if err != nil || len(hist) != 1 || hist[0].Command != `kickid STEAM_1:1:1 "afk"` {
		t.Errorf("console history = %+v (%v), want the one kick", hist, err)
	}
}
