package web

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
)

// newToken creates an API token named name through the account page and
// returns it.
func (c *client) newToken(name string) string {
	c.e.t.Helper()
	resp, body := c.post("/account/tokens", url.Values{"name": {name}})
	m := newTokenRe.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		c.e.t.Fatalf("create token %s = %d, token not shown", name, resp.StatusCode)
	}
	return m[1]
}

// TestPasswordChangeRevokesTokens: the password form's "revoke all API
// tokens" box is checked by default; a change with it checked (or from a
// form without it) leaves the old tokens answering 401, unchecked keeps
// them working.
func TestPasswordChangeRevokesTokens(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name   string
		box    []string // revoke_tokens values as a browser sends them
		status int      // the old token's answer after the change
	}{
		{"checked", []string{"0", "1"}, http.StatusUnauthorized},
		{"unchecked", []string{"0"}, http.StatusOK},
		{"absent", nil, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := e.user("u"+tc.name, false)
			c := e.newClient()
			if resp := c.login(u.Name, "pw-"+u.Name+"-secret"); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("login = %d", resp.StatusCode)
			}
			_, page := c.get("/account")
			if !regexp.MustCompile(`<input type="checkbox" name="revoke_tokens" value="1" checked>`).MatchString(page) {
				t.Errorf("the password form has no checked revoke_tokens box")
			}
			api := e.newClient()
			api.token = c.newToken("ci")
			if resp, _ := api.get("/api/v1/instances"); resp.StatusCode != http.StatusOK {
				t.Fatalf("token before the change = %d", resp.StatusCode)
			}
			form := url.Values{"current": {"pw-" + u.Name + "-secret"}, "new": {"a new password"}}
			if tc.box != nil {
				form["revoke_tokens"] = tc.box
			}
			if resp, _ := c.post("/account/password", form); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("change = %d", resp.StatusCode)
			}
			if resp, body := api.get("/api/v1/instances"); resp.StatusCode != tc.status {
				t.Errorf("old token after a change with the box %s = %d %s, want %d", tc.name, resp.StatusCode, body, tc.status)
			}
		})
	}
}

// TestPasswordChangeRefusedKeepsBox: a refused change shows the form again
// with the box as it was sent.
func TestPasswordChangeRefusedKeepsBox(t *testing.T) {
	e := newEnv(t)
	c := e.as(e.quickUser("alice", false))
	resp, body := c.post("/account/password", url.Values{"current": {"wrong"}, "new": {"x"}, "revoke_tokens": {"0"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("refused change = %d", resp.StatusCode)
	}
	if !regexp.MustCompile(`name="revoke_tokens" value="1"\s*>`).MatchString(body) {
		t.Errorf("the box is checked again after a refused change that unchecked it")
	}
}

var tokenRow = regexp.MustCompile(`<td>ci</td><td>[^<]*</td><td>([^<]*)</td>`)

// TestAccountShowsTokenLastUse: the account page says "never" for an
// unused token and the time of its last use once it was used.
func TestAccountShowsTokenLastUse(t *testing.T) {
	e := newEnv(t)
	c := e.as(e.quickUser("alice", false))
	api := e.newClient()
	api.token = c.newToken("ci")
	_, page := c.get("/account")
	if m := tokenRow.FindStringSubmatch(page); m == nil || m[1] != "never" {
		t.Fatalf("unused token's last use = %q, want never", m)
	}
	if resp, _ := api.get("/api/v1/instances"); resp.StatusCode != http.StatusOK {
		t.Fatalf("token = %d", resp.StatusCode)
	}
	_, page = c.get("/account")
	if m := tokenRow.FindStringSubmatch(page); m == nil || !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d`).MatchString(m[1]) {
		t.Errorf("used token's last use = %q, want a time", m)
	}
}
