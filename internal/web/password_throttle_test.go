package web

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/auth"
)

// TestPasswordChangeThrottled: wrong current passwords on the account page
// are limited like logins (5 per window), so a stolen session is no
// unlimited password oracle; the right one still works after a mistake.
func TestPasswordChangeThrottled(t *testing.T) {
	e := newEnvWith(t, func(e *env, cfg *Config) {
		cfg.Throttle = auth.NewThrottle(5, 15*time.Minute)
		cfg.Throttle.Now = e.clock
	})
	u := e.user("alice", false)
	c := e.as(u)
	for i := range 5 {
		resp, _ := c.post("/account/password", url.Values{"current": {"wrong password"}, "new": {"new-password-1"}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("wrong current password %d: status %d, want 422", i+1, resp.StatusCode)
		}
	}
	resp, _ := c.post("/account/password", url.Values{"current": {"wrong password"}, "new": {"new-password-1"}})
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("sixth wrong current password: status %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	e.advance(16 * time.Minute) // past the window
	if resp, _ := c.post("/account/password", url.Values{"current": {"pw-alice-secret"}, "new": {"new-password-1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("right current password after the window: status %d, want 303", resp.StatusCode)
	}
}
