package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/store"
)

// auditEntries returns every entry, newest first.
func (e *env) auditEntries() []store.AuditEntry {
	e.t.Helper()
	es, err := e.st.Audit(context.Background(), store.AuditFilter{Limit: 100000})
	if err != nil {
		e.t.Fatal(err)
	}
	return es
}

// TestAuditCoversEveryRoute walks the route table like the authorisation
// test: every route that changes state (any method but GET, HEAD and
// OPTIONS) writes exactly one audit entry naming the caller and the
// route's action, whether it succeeds or is refused.
func TestAuditCoversEveryRoute(t *testing.T) {
	e := newEnv(t)
	root := e.quickUser("root", true)
	bob := e.quickUser("bob", false)
	checked := 0
	for _, rt := range e.srv.routes {
		method, path, _ := strings.Cut(rt.pattern, " ")
		if !stateChanging(method) {
			continue
		}
		checked++
		t.Run(rt.pattern, func(t *testing.T) {
			if _, err := e.svc.Get(context.Background(), "alpha"); err != nil {
				e.mustCreate("alpha", root)
			}
			before := len(e.auditEntries())
			// A fresh session each time: logout ends its own.
			c := e.as(root)
			if rt.access == public {
				c = e.newClient()
			}
			var resp *http.Response
			if strings.Contains(path, "{name}") {
				resp, _ = c.call(rt.pattern, "alpha", bob)
			} else {
				p := strings.NewReplacer("{id}", "1", "{user}", "1", "{item}", "1").Replace(path)
				if rt.api {
					resp, _ = c.do(method, p, `{}`, nil)
				} else {
					resp, _ = c.do(method, p, "", url.Values{"username": {"root"}})
				}
			}
			after := e.auditEntries()
			if len(after)-before != 1 {
				t.Fatalf("%d audit entries written (HTTP %d), want 1", len(after)-before, resp.StatusCode)
			}
			got := after[0]
			if got.Action != auditAction(rt.pattern) || got.Action == "" {
				t.Errorf("action %q, want %q", got.Action, auditAction(rt.pattern))
			}
			wantActor := "root"
			if rt.access == public {
				wantActor = "anonymous (as root)"
			}
			if got.Actor != wantActor || got.Address == "" {
				t.Errorf("entry %+v: want actor %q and an address", got, wantActor)
			}
			if (resp.StatusCode >= 400) != (got.Result != "") {
				t.Errorf("HTTP %d recorded with result %q", resp.StatusCode, got.Result)
			}
			if strings.Contains(path, "{name}") && got.Instance != "alpha" {
				t.Errorf("instance %q, want alpha", got.Instance)
			}
		})
	}
	if checked < 30 {
		t.Fatalf("only %d state-changing routes found", checked)
	}
	// Reading changes nothing and writes nothing.
	before := len(e.auditEntries())
	c := e.as(root)
	for _, p := range []string{"/instances", "/audit", "/api/v1/audit", "/admin/webhooks"} {
		c.do("GET", p, "", nil)
	}
	if n := len(e.auditEntries()) - before; n != 0 {
		t.Errorf("GET requests wrote %d entries", n)
	}
}

// TestAuditKeepsSecretsOut: a password change, a server.cfg with
// rcon_password and sv_password, an RCON command setting rcon_password, a
// new account's password, an API token's use and a webhook's URL token
// leave none of their secret values in any entry.
func TestAuditKeepsSecretsOut(t *testing.T) {
	e := newEnv(t)
	admin := e.user("admin", true)
	e.mustCreate("alpha", admin)
	c := e.newClient()
	c.login("admin", "pw-admin-secret")
	secrets := []string{"pw-admin-secret", "Brand-new-passphrase-1", "hunter2-rcon", "joinpw-77", "Fresh-account-pw-9", "SLACKTOKEN123"}
	if resp, body := c.do("POST", "/account/password", "", url.Values{"current": {"pw-admin-secret"}, "new": {"Brand-new-passphrase-1"}}); resp.StatusCode >= 400 {
		t.Fatalf("password change: %d %s", resp.StatusCode, body)
	}
	c = e.newClient()
	c.login("admin", "Brand-new-passphrase-1")
	c.do("POST", "/instances/alpha/cfg", "", url.Values{"server_cfg": {"hostname a\nrcon_password \"hunter2-rcon\"\nsv_password joinpw-77\n"}})
	e.sup.set("alpha", instance.Running)
	c.do("POST", "/instances/alpha/rcon", "", url.Values{"command": {"rcon_password hunter2-rcon"}})
	c.do("POST", "/admin/users", "", url.Values{"name": {"carol"}, "password": {"Fresh-account-pw-9"}})
	c.do("POST", "/admin/webhooks", "", url.Values{"url": {"https://hooks.slack.com/services/T0/B0/SLACKTOKEN123"}, "format": {"slack"}})
	tok := c.newToken("ci")
	api := e.newClient()
	api.token = tok
	api.do("PUT", "/api/v1/instances/alpha/cfg", `{"server_cfg": "rcon_password hunter2-rcon\n"}`, nil)
	entries := e.auditEntries()
	if len(entries) < 7 {
		t.Fatalf("%d entries, want at least 7", len(entries))
	}
	all, _ := json.Marshal(entries)
	for _, s := range append(secrets, tok) {
		if strings.Contains(string(all), s) {
			t.Errorf("the audit log holds the secret %q:\n%s", s, all)
		}
	}
	var sawPassword, sawToken bool
	for _, en := range entries {
		if en.Action == "account.password" && strings.Contains(en.Summary, "password=(secret)") {
			sawPassword = true
		}
		if en.TokenID != 0 && en.Actor == "admin" && en.Action == "instances.cfg.set" {
			sawToken = true
		}
	}
	if !sawPassword || !sawToken {
		t.Errorf("want the password change recorded as such and the token's id on the API call:\n%s", all)
	}
}

// TestOwnersSeeTheirInstancesEntries: alice sees what happened to her
// instance and what she did; not bob's instance; the admin sees all.
func TestOwnersSeeTheirInstancesEntries(t *testing.T) {
	e := newEnv(t)
	admin := e.quickUser("root", true)
	alice := e.quickUser("alice", false)
	bob := e.quickUser("bob", false)
	e.mustCreate("alpha", alice)
	e.mustCreate("beta", bob)
	e.as(admin).do("POST", "/api/v1/instances/alpha/start", "", nil)
	e.as(bob).do("POST", "/api/v1/instances/beta/start", "", nil)
	e.as(alice).do("POST", "/api/v1/instances/alpha/stop", "", nil)
	e.as(bob).do("POST", "/account/tokens", "", url.Values{"name": {"ci"}})
	list := func(c *client, q string) []map[string]any {
		resp, body := c.do("GET", "/api/v1/audit"+q, "", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("audit: %d %s", resp.StatusCode, body)
		}
		var out []map[string]any
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, en := range list(e.as(alice), "") {
		if en["instance"] != "alpha" && en["actor"] != "alice" {
			t.Errorf("alice sees %v", en)
		}
	}
	if n := len(list(e.as(alice), "?instance=alpha")); n != 2 {
		t.Errorf("alice sees %d entries of alpha, want 2 (root's start, her stop)", n)
	}
	if n := len(list(e.as(alice), "?instance=beta")); n != 0 {
		t.Errorf("alice sees %d entries of bob's beta", n)
	}
	if n := len(list(e.as(admin), "?instance=beta")); n != 1 {
		t.Errorf("the admin sees %d entries of beta, want 1", n)
	}
	if n := len(list(e.as(admin), "?user=bob")); n != 2 {
		t.Errorf("the admin sees %d of bob's entries, want 2", n)
	}
	// The page shows the same, with its filters.
	resp, body := e.as(alice).do("GET", "/audit?instance=beta", "", nil)
	if resp.StatusCode != 200 || strings.Contains(body, "instance:beta") {
		t.Errorf("alice's audit page for beta: %d\n%s", resp.StatusCode, body)
	}
}

// TestWebhookFormRefusesBadInput: the page's form names the field and
// adds nothing.
func TestWebhookFormRefusesBadInput(t *testing.T) {
	e := newEnv(t)
	c := e.as(e.quickUser("root", true))
	for _, tc := range []struct {
		form  url.Values
		field string
	}{
		{url.Values{"url": {"http://192.168.1.10/hook"}}, "url"},
		{url.Values{"url": {"https://203.0.113.9/hook"}, "events": {"instance.exploded"}}, "events"},
		{url.Values{"url": {"https://203.0.113.9/hook"}, "format": {"teams"}}, "format"},
	} {
		resp, body := c.do("POST", "/admin/webhooks", "", tc.form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="`+tc.field+`-error"`) {
			t.Errorf("%v: %d, want 422 with the %s field's error\n%s", tc.form, resp.StatusCode, tc.field, body)
		}
	}
	if hooks, _ := e.st.Webhooks(context.Background()); len(hooks) != 0 {
		t.Errorf("bad input stored %d webhooks", len(hooks))
	}
}
