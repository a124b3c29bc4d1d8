package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var newTokenRe = regexp.MustCompile(`<pre class="token" id="new-token">([^<]+)</pre>`)

func TestAPITokens(t *testing.T) {
	e := newEnv(t)
	u := e.quickUser("alice", false)
	e.mustCreate("alpha", u)
	c := e.as(u)
	resp, body := c.post("/account/tokens", url.Values{"name": {"ci"}})
	m := newTokenRe.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("create token = %d, token not shown:\n%s", resp.StatusCode, body)
	}
	token := m[1]
	if _, again := c.get("/account"); strings.Contains(again, token) {
		t.Error("the token is shown a second time")
	}
	api := e.newClient()
	api.token = token
	resp, body = api.get("/api/v1/instances")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"alpha"`) {
		t.Fatalf("API with the token = %d %s", resp.StatusCode, body)
	}
	// Token requests carry no ambient credentials: no CSRF token needed.
	if resp, body := api.do("POST", "/api/v1/instances/alpha/start", "", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("start with the token = %d %s", resp.StatusCode, body)
	}
	// A token does not open the HTML pages.
	if resp, _ := api.get("/instances"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("HTML page with only a token = %d, want a redirect to login", resp.StatusCode)
	}
	var id string
	if err := e.st.DB().QueryRow(`SELECT id FROM api_tokens WHERE name = 'ci'`).Scan(&id); err != nil {
		t.Fatalf("token 'ci' not stored: %v", err)
	}
	if resp, _ := c.post("/account/tokens/"+id+"/revoke", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke = %d", resp.StatusCode)
	}
	if resp, _ := api.get("/api/v1/instances"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("revoked token = %d, want 401", resp.StatusCode)
	}
	api.token = "l4m_" + strings.Repeat("A", 43)
	if resp, _ := api.get("/api/v1/instances"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("made-up token = %d, want 401", resp.StatusCode)
	}
	// Another user cannot revoke alice's tokens.
	c.post("/account/tokens", url.Values{"name": {"second"}})
	if err := e.st.DB().QueryRow(`SELECT id FROM api_tokens WHERE name = 'second'`).Scan(&id); err != nil {
		t.Fatalf("token 'second' not stored: %v", err)
	}
	bob := e.as(e.quickUser("bob", false))
	if resp, _ := bob.post("/account/tokens/"+id+"/revoke", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("bob revoking alice's token = %d, want 404", resp.StatusCode)
	}
}

func TestUserAdministration(t *testing.T) {
	e := newEnv(t)
	admin := e.quickUser("root", true)
	c := e.as(admin)
	resp, body := c.post("/admin/users", url.Values{"name": {"dave"}, "password": {"short"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "too short") {
		t.Errorf("short password = %d", resp.StatusCode)
	}
	if resp, _ := c.post("/admin/users", url.Values{"name": {"dave"}, "password": {"long enough pw"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create = %d", resp.StatusCode)
	}
	if resp, _ := c.post("/admin/users", url.Values{"name": {"dave"}, "password": {"long enough pw"}}); resp.StatusCode != http.StatusConflict {
		t.Errorf("duplicate account = %d, want 409", resp.StatusCode)
	}
	if resp := e.newClient().login("dave", "long enough pw"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("new account cannot log in: %d", resp.StatusCode)
	}
	dave, _ := e.st.UserByName(t.Context(), "dave")
	e.mustCreate("daves", dave)
	resp, body = c.post("/admin/users/"+itoa(dave.ID)+"/delete", nil)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "still owns") {
		t.Errorf("deleting an owner = %d", resp.StatusCode)
	}
	if resp, _ := c.post("/admin/users/"+itoa(admin.ID)+"/delete", nil); resp.StatusCode != http.StatusConflict {
		t.Errorf("deleting oneself = %d, want 409", resp.StatusCode)
	}
}
