package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestCSRFRejectedOnEveryStateChangingRoute sends every non-GET route of the
// table from a logged-in admin's browser without a token and with a wrong
// one: each must answer 403 and change nothing.
func TestCSRFRejectedOnEveryStateChangingRoute(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.quickUser("root", true)
	other := e.quickUser("bob", false)
	e.mustCreate("alpha", admin)
	calls := e.sup.callCount()
	good := e.as(admin)
	n := 0
	for _, rt := range e.srv.routes {
		method, path, _ := strings.Cut(rt.pattern, " ")
		if !stateChanging(method) || rt.access == public {
			continue
		}
		n++
		path = strings.NewReplacer("{name}", "alpha", "{user}", "2", "{id}", "1").Replace(path)
		for _, token := range []string{"", "wrong-token"} {
			c := *good
			c.csrf = ""
			form := url.Values{"csrf_token": {token}, "confirm": {"alpha"}, "command": {"status"}, "name": {"x"}, "password": {"long enough"}, "user": {"bob"}}
			var resp *http.Response
			var body string
			if rt.api {
				req := strings.NewReader(`{}`)
				r, _ := http.NewRequest(method, e.ts.URL+path, req)
				r.Header.Set("Content-Type", "application/json")
				if token != "" {
					r.Header.Set("X-CSRF-Token", token)
				}
				var err error
				if resp, err = c.hc.Do(r); err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			} else {
				resp, body = c.do(method, path, "", form)
			}
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s with CSRF token %q = %d, want 403\n%s", rt.pattern, token, resp.StatusCode, body)
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d state-changing routes checked", n)
	}
	if e.sup.callCount() != calls {
		t.Error("a forged request reached the supervisor")
	}
	if _, err := e.svc.Get(ctx, "alpha"); err != nil {
		t.Errorf("alpha after forged requests: %v", err)
	}
	if n, _ := e.st.CountUsers(ctx); n != 2 {
		t.Errorf("forged requests changed the accounts: %d users", n)
	}
	if _, err := e.st.UserByID(ctx, other.ID); err != nil {
		t.Errorf("bob was deleted by a forged request: %v", err)
	}
	// The real token works.
	if resp, _ := good.post("/instances/alpha/start", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("start with the right token = %d", resp.StatusCode)
	}
}
