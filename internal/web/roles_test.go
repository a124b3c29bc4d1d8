package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/roles"
	"github.com/left4me/left4me/internal/store"
)

// TestEveryRoleEveryRoute walks the route table: for every instance route
// and every role (the three share roles, the owner, a site administrator)
// the request gets through exactly when the role grants the permission the
// route declares (internal/roles). A refusal is a 403 saying what to ask
// for, and changes nothing: no supervisor call, the same server.cfg, the
// same shares, the instance still there.
func TestEveryRoleEveryRoute(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner := e.quickUser("olive", false)
	unlimited := instance.Unlimited
	if err := e.st.SetLimits(ctx, owner.ID, store.Limits{MaxInstances: &unlimited, MaxRunning: &unlimited}); err != nil {
		t.Fatal(err)
	}
	target := e.quickUser("tara", false) // whom the share routes share with
	// Every account here may create instances: a clone (configure) is
	// also a create, which the account permission decides (clone.go).
	principals := map[roles.Role]store.User{
		roles.Viewer:    e.creator("vera"),
		roles.Operator:  e.creator("otto"),
		roles.Admin:     e.creator("adam"),
		roles.Owner:     owner,
		roles.SiteAdmin: e.quickUser("root", true),
	}
	if err := e.st.SetMayCreate(ctx, owner.ID, true); err != nil {
		t.Fatal(err)
	}
	var routes []route
	for _, rt := range e.srv.routes {
		if strings.Contains(rt.pattern, "{name}") {
			routes = append(routes, rt)
		}
	}
	sort.Slice(routes, func(i, j int) bool { return routes[i].pattern < routes[j].pattern })
	n := 0
	for _, rl := range []roles.Role{roles.Viewer, roles.Operator, roles.Admin, roles.Owner, roles.SiteAdmin} {
		u := principals[rl]
		c := e.as(u)
		for _, rt := range routes {
			perm := rt.access.permission()
			allowed := rl.May(perm)
			t.Run(fmt.Sprintf("%s/%s", rl, rt.pattern), func(t *testing.T) {
				n++
				name := fmt.Sprintf("r%d", n)
				e.mustCreate(name, owner)
				if rl.IsShareRole() {
					if err := e.st.SetShare(ctx, name, u.ID, string(rl)); err != nil {
						t.Fatal(err)
					}
				}
				if unshares(rt.pattern) {
					if err := e.st.SetShare(ctx, name, target.ID, "viewer"); err != nil {
						t.Fatal(err)
					}
				}
				sharesBefore, _ := e.st.Shares(ctx, name)
				calls := e.sup.callCount()
				resp, body := c.call(rt.pattern, name, target)
				if allowed {
					if resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusNotFound || resp.StatusCode >= 500 {
						t.Fatalf("%s may %s, but %s = %d:\n%s", rl, perm, rt.pattern, resp.StatusCode, body)
					}
					return
				}
				if resp.StatusCode != http.StatusForbidden {
					t.Fatalf("%s may not %s, but %s = %d, want 403:\n%s", rl, perm, rt.pattern, resp.StatusCode, body)
				}
				if !strings.Contains(body, "ask the owner for the") && !strings.Contains(body, "only the owner or an administrator may") {
					t.Errorf("the refusal does not say what to ask for:\n%s", body)
				}
				if e.sup.callCount() != calls {
					t.Errorf("the refused request reached the supervisor")
				}
				if cfg, err := e.svc.ServerCfg(ctx, name); err != nil || cfg != "hostname "+name+"\n" {
					t.Errorf("server.cfg after the refused request: %q, %v", cfg, err)
				}
				if after, _ := e.st.Shares(ctx, name); len(after) != len(sharesBefore) {
					t.Errorf("shares changed: %+v -> %+v", sharesBefore, after)
				}
				if h, _ := e.st.ListRCON(ctx, name, 0); len(h) != 0 {
					t.Errorf("the refused request was recorded as an RCON command: %+v", h)
				}
			})
		}
	}
}

// TestPermissionTable pins the table of internal/roles to the issue's
// words: viewer sees; operator also powers and moderates; admin also
// resets, configures, uses the console and shares; only the owner and
// site administrators see secrets and delete.
func TestPermissionTable(t *testing.T) {
	want := map[roles.Role]string{
		roles.Viewer:    "view",
		roles.Operator:  "view power moderate",
		roles.Admin:     "view power moderate reset configure console share",
		roles.Owner:     "view power moderate reset configure console share secrets delete backup",
		roles.SiteAdmin: "view power moderate reset configure console share secrets delete backup",
		roles.None:      "",
	}
	for rl, w := range want {
		var got []string
		for _, p := range roles.Permissions {
			if rl.May(p) {
				got = append(got, string(p))
			}
		}
		if strings.Join(got, " ") != w {
			t.Errorf("%q may %q, want %q", rl, strings.Join(got, " "), w)
		}
	}
}

// TestRoleFilteredHistoryAndEvents: a viewer and an operator see no RCON
// history, no rcon events and no RCON lines of the console log; an admin
// share sees all three.
func TestRoleFilteredHistoryAndEvents(t *testing.T) {
	e := newEnvWith(t, func(e *env, cfg *Config) {
		cfg.Logs = linesLogs{"L 11/30/2026 - 20:00:00: rcon from \"127.0.0.1:5000\": command \"sv_cheats 1\"", "hello from the game"}
	})
	ctx := context.Background()
	owner := e.quickUser("olive", false)
	e.mustCreate("alpha", owner)
	if _, err := e.st.AddRCON(ctx, "alpha", owner.ID, "sv_cheats 1", "ok"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.AddEvent(ctx, store.Event{Instance: "alpha", Kind: "rcon", Text: "sv_cheats 1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.AddEvent(ctx, store.Event{Instance: "alpha", Kind: "chat", Player: "Ellis", Text: "hi all"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		role roles.Role
		sees bool
	}{{roles.Viewer, false}, {roles.Operator, false}, {roles.Admin, true}} {
		u := e.quickUser(string(tc.role)+"-user", false)
		if err := e.st.SetShare(ctx, "alpha", u.ID, string(tc.role)); err != nil {
			t.Fatal(err)
		}
		c := e.as(u)
		_, page := c.get("/instances/alpha")
		_, evs := c.get("/api/v1/instances/alpha/events")
		_, logs := c.get("/api/v1/instances/alpha/logs")
		if !strings.Contains(page, "hi all") || !strings.Contains(evs, "hi all") || !strings.Contains(logs, "hello from the game") {
			t.Errorf("%s does not see the chat and the console log", tc.role)
		}
		for what, text := range map[string]string{"page": page, "events": evs, "logs": logs} {
			if got := strings.Contains(text, "sv_cheats"); got != tc.sees {
				t.Errorf("%s's %s shows the RCON command: %v, want %v", tc.role, what, got, tc.sees)
			}
		}
		resp, _ := c.get("/api/v1/instances/alpha/rcon")
		if (resp.StatusCode == http.StatusOK) != tc.sees {
			t.Errorf("%s reads the RCON history: %d", tc.role, resp.StatusCode)
		}
	}
}

// linesLogs is a console log of fixed lines.
type linesLogs []string

func (l linesLogs) Tail(ctx context.Context, name string, n int) ([]string, error) { return l, nil }
func (l linesLogs) Follow(ctx context.Context, name string, fn func(string)) error {
	<-ctx.Done()
	return nil
}

// TestOwnerSharesOwnInstance: an owner who is not a site administrator
// shares an instance, changes the role and withdraws it; sharing with an
// unknown account, with themself or in an unknown role is refused naming
// the field, and changes nothing.
func TestOwnerSharesOwnInstance(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner := e.quickUser("olive", false)
	bob := e.quickUser("bob", false)
	e.mustCreate("alpha", owner)
	o := e.as(owner)
	_, page := o.get("/instances/alpha")
	if !strings.Contains(page, `id="share-form"`) || strings.Contains(page, "<option>bob</option>") {
		t.Errorf("the owner's page has no share form, or lists the accounts:\n%s", page)
	}
	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"user": {"nobody"}, "role": {"viewer"}}, "no account named"},
		{url.Values{"user": {"olive"}, "role": {"viewer"}}, "olive owns alpha"},
		{url.Values{"user": {"bob"}, "role": {"boss"}}, "is not a role: use viewer, operator or admin"},
	} {
		resp, body := o.post("/instances/alpha/shares", tc.form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) {
			t.Errorf("share %v = %d, want 422 with %q:\n%s", tc.form, resp.StatusCode, tc.want, body)
		}
	}
	if sh, _ := e.st.Shares(ctx, "alpha"); len(sh) != 0 {
		t.Fatalf("refused shares were made: %+v", sh)
	}
	if resp, body := o.post("/instances/alpha/shares", url.Values{"user": {"bob"}, "role": {"viewer"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("owner shares = %d:\n%s", resp.StatusCode, body)
	}
	if resp, _ := o.post("/instances/alpha/shares", url.Values{"user": {"bob"}, "role": {"operator"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("owner changes the role = %d", resp.StatusCode)
	}
	if r, _ := e.st.ShareRole(ctx, "alpha", bob.ID); r != "operator" {
		t.Errorf("bob's role = %q, want operator", r)
	}
	if resp, _ := o.post("/instances/alpha/shares/"+itoa(bob.ID)+"/delete", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("owner withdraws = %d", resp.StatusCode)
	}
	if r, _ := e.st.ShareRole(ctx, "alpha", bob.ID); r != "" {
		t.Errorf("bob's share survived its withdrawal: %q", r)
	}
}

// TestShareHintAfterTheOnlyAccount (issue 16 §5): once the instance is
// shared with the only other account, the page does not tell the
// administrator to "first create an account"; it names the share and
// what to do.
func TestShareHintAfterTheOnlyAccount(t *testing.T) {
	e := newEnv(t)
	owner := e.quickUser("olive", false)
	e.quickUser("bob", false)
	root := e.as(e.quickUser("root", true))
	e.mustCreate("alpha", owner)
	if resp, _ := root.post("/instances/alpha/shares", url.Values{"user": {"bob"}, "role": {"viewer"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("share = %d", resp.StatusCode)
	}
	_, page := root.get("/instances/alpha")
	if strings.Contains(page, "first create an account") || strings.Contains(page, `id="share-form"`) {
		t.Errorf("the page still offers to create an account first, or a form with nobody to pick:\n%s", page)
	}
	if !strings.Contains(page, "Every other account that is not an administrator has a share of alpha: change its role or remove it above") {
		t.Errorf("the hint does not say what to do:\n%s", page)
	}
}

// TestMayCreate: a new account may not create instances (403 saying whom
// to ask, nothing created, no New button); once an administrator allows it
// on the accounts page it may.
func TestMayCreate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	bob := e.quickUser("bob", false)
	root := e.as(e.quickUser("root", true))
	b := e.as(bob)
	if _, page := b.get("/instances"); strings.Contains(page, `href="/instances/new"`) || !strings.Contains(page, "ask an administrator to allow it") {
		t.Errorf("the list offers New to an account that may not create:\n%s", page)
	}
	if resp, body := b.post("/instances", url.Values{"name": {"b1"}}); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "may not create instances: ask an administrator") {
		t.Errorf("create without the permission = %d:\n%s", resp.StatusCode, body)
	}
	if resp, _ := b.get("/instances/new"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("the new-instance form = %d, want 403", resp.StatusCode)
	}
	if _, err := e.svc.Get(ctx, "b1"); err == nil {
		t.Fatal("the refused instance exists")
	}
	if resp, body := root.post("/admin/users/"+itoa(bob.ID)+"/may-create", url.Values{"may_create": {"on"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("allow = %d:\n%s", resp.StatusCode, body)
	}
	if resp, body := b.post("/instances", url.Values{"name": {"b1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("create with the permission = %d:\n%s", resp.StatusCode, body)
	}
	if resp, _ := root.post("/admin/users/"+itoa(bob.ID)+"/may-create", url.Values{"may_create": {"maybe"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a bad setting = %d, want 422", resp.StatusCode)
	}
}
