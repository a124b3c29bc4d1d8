package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestLoginPageWithoutAccounts(t *testing.T) {
	e := newEnv(t)
	resp, body := e.newClient().get("/login")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "left4me user create NAME --admin") {
		t.Fatalf("login page without accounts = %d, lacks the create-user hint:\n%s", resp.StatusCode, body)
	}
	e.quickUser("someone", false)
	if _, body := e.newClient().get("/login"); strings.Contains(body, "user create NAME") {
		t.Error("login page still says no account exists")
	}
}

func TestLoginLogout(t *testing.T) {
	e := newEnv(t)
	e.user("alice", false)
	c := e.newClient()
	if resp, _ := c.get("/instances"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("anonymous /instances = %d to %q, want a redirect to /login", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp := c.login("alice", "wrong password"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: status %d, want 401", resp.StatusCode)
	}
	if resp := c.login("nobody", "pw-alice-secret"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unknown user: status %d, want 401", resp.StatusCode)
	}
	resp := c.login("alice", "pw-alice-secret")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/instances" {
		t.Fatalf("right password: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || len(cookie.Value) < 43 {
		t.Fatalf("session cookie = %+v, want HttpOnly, SameSite=Lax, 32 random bytes", cookie)
	}
	var stored int
	e.st.DB().QueryRow(`SELECT count(*) FROM sessions WHERE id_hash = ?`, cookie.Value).Scan(&stored)
	if stored != 0 {
		t.Error("the session id is stored in clear")
	}
	if resp, _ := c.get("/instances"); resp.StatusCode != http.StatusOK {
		t.Fatalf("logged-in /instances = %d", resp.StatusCode)
	}
	if resp, _ := c.post("/logout", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout = %d", resp.StatusCode)
	}
	if resp, _ := c.get("/instances"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after logout /instances = %d, want a redirect to login", resp.StatusCode)
	}
	var left int
	e.st.DB().QueryRow(`SELECT count(*) FROM sessions`).Scan(&left)
	if left != 0 {
		t.Errorf("%d sessions left after logout", left)
	}
}

func TestLoginRedirectStaysOnSite(t *testing.T) {
	for next, want := range map[string]string{"/instances/x": "/instances/x", "//evil.example/": "/instances", "https://evil.example/": "/instances", "": "/instances",
		"/\t/evil.example/": "/instances", "/\n/evil.example/": "/instances", "/\r/evil.example": "/instances",
		"/\\evil.example/": "/instances", "/x\\/evil": "/instances", "/instances?x=1#y": "/instances?x=1#y"} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

func TestLoginNeedsFormToken(t *testing.T) {
	e := newEnv(t)
	e.user("alice", false)
	c := e.newClient()
	resp, _ := c.post("/login", url.Values{"username": {"alice"}, "password": {"pw-alice-secret"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("login without the form token = %d, want 403", resp.StatusCode)
	}
}

func TestSessionExpiryAndRenewal(t *testing.T) {
	e := newEnv(t)
	u := e.quickUser("alice", false)
	c := e.as(u) // expires 12h from now
	e.advance(7 * time.Hour)
	resp, _ := c.get("/instances")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("after 7h: %d", resp.StatusCode)
	}
	renewed := false
	for _, ck := range resp.Cookies() {
		renewed = renewed || (ck.Name == sessionCookie && ck.MaxAge > 0)
	}
	if !renewed {
		t.Error("a session past half its life was not renewed")
	}
	e.advance(11 * time.Hour) // 18h after login, 11h after renewal
	if resp, _ := c.get("/instances"); resp.StatusCode != http.StatusOK {
		t.Fatalf("renewed session refused: %d", resp.StatusCode)
	}
	e.advance(13 * time.Hour)
	if resp, _ := c.get("/instances"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("idle session still valid after 13h: %d", resp.StatusCode)
	}
	if resp, _ := c.get("/api/v1/instances"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("expired session on the API: %d, want 401", resp.StatusCode)
	}
}

func TestLoginThrottle(t *testing.T) {
	e := newEnv(t)
	e.user("alice", false)
	c := e.newClient()
	for i := range 5 {
		if resp := c.login("alice", "wrong"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d", i+1, resp.StatusCode)
		}
	}
	resp := c.login("alice", "pw-alice-secret")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("6th attempt = %d (Retry-After %q), want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Another account from the same address is not locked out.
	e.user("bob", false)
	if resp := e.newClient().login("bob", "pw-bob-secret"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("bob's login = %d", resp.StatusCode)
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	resp, body := e.newClient().get("/health")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"db": "ok"`) {
		t.Fatalf("health = %d %s", resp.StatusCode, body)
	}
}

func TestPasswordChange(t *testing.T) {
	e := newEnv(t)
	e.user("alice", false)
	c := e.newClient()
	c.login("alice", "pw-alice-secret")
	other := e.newClient()
	other.login("alice", "pw-alice-secret")
	resp, body := c.post("/account/password", url.Values{"current": {"wrong"}, "new": {"a new password"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "not your current password") {
		t.Fatalf("wrong current password = %d", resp.StatusCode)
	}
	resp, _ = c.post("/account/password", url.Values{"current": {"pw-alice-secret"}, "new": {"a new password"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change = %d", resp.StatusCode)
	}
	if resp, _ := c.get("/account"); resp.StatusCode != http.StatusOK {
		t.Errorf("the changing session was logged out: %d", resp.StatusCode)
	}
	if resp, _ := other.get("/account"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("another session survived the change: %d", resp.StatusCode)
	}
	if resp := e.newClient().login("alice", "a new password"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("login with the new password = %d", resp.StatusCode)
	}
}

// TestLoginThrottleHoldsUnderConcurrency: parallel wrong guesses for one
// account from one address get at most the throttle's five answers; the
// others are refused before the password is checked.
func TestLoginThrottleHoldsUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	e.user("alice", false)
	const n = 20
	type attempt struct {
		c     *client
		token string
	}
	var attempts []attempt
	for range n {
		c := e.newClient()
		_, page := c.get("/login")
		m := loginToken.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("login page has no CSRF token:\n%s", page)
		}
		attempts = append(attempts, attempt{c, m[1]})
	}
	codes := make(chan int, n)
	for _, a := range attempts {
		go func() {
			form := url.Values{"username": {"alice"}, "password": {"wrong guess"}, "csrf_token": {a.token}}
			req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := a.c.hc.Do(req)
			if err != nil {
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	checked := 0
	for range n {
		switch code := <-codes; code {
		case http.StatusUnauthorized:
			checked++
		case http.StatusTooManyRequests:
		case http.StatusServiceUnavailable:
			// The password hasher's slots stayed taken for its whole
			// wait (a slow or busy machine): refused unchecked, which
			// keeps the throttle's promise too.
		default:
			t.Errorf("concurrent login answered %d", code)
		}
	}
	if checked > 5 {
		t.Errorf("%d of %d concurrent guesses had their password checked, want at most 5", checked, n)
	}
}
