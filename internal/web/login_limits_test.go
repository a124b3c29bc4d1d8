package web

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/left4me/left4me/internal/auth"
)

// clientFrom is newClient connecting from the loopback address ip
// (127.0.0.0/8 is all loopback on Linux), so one panel sees several
// client addresses.
func (e *env) clientFrom(ip string) *client {
	jar, _ := cookiejar.New(nil)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}
	e.t.Cleanup(tr.CloseIdleConnections)
	return &client{e: e, hc: &http.Client{Jar: jar, Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// TestLoginLimitPerAddress: wrong guesses spread over many names from one
// address are refused with 429 once the address has used its limit (the
// per-name limit alone never stopped them), while another address still
// logs in; the right password from the spraying address is refused too.
func TestLoginLimitPerAddress(t *testing.T) {
	e := newEnvWith(t, func(e *env, cfg *Config) {
		cfg.Login = auth.NewLoginThrottle(auth.LoginLimits{})
		cfg.Login.Now = e.clock
	})
	e.user("alice", false)
	sprayer := e.clientFrom("127.0.0.1")
	for i := range 20 {
		resp := sprayer.login(fmt.Sprintf("name%02d", i), "wrong guess")
		want := http.StatusUnauthorized
		if i >= auth.DefaultLoginPerAddress {
			want = http.StatusTooManyRequests
		}
		if resp.StatusCode != want {
			t.Fatalf("guess %d for name%02d: status %d, want %d", i+1, i, resp.StatusCode, want)
		}
		if want == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
			t.Fatalf("guess %d: 429 without Retry-After", i+1)
		}
	}
	if resp := sprayer.login("alice", "pw-alice-secret"); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("right password from the spraying address: status %d, want 429", resp.StatusCode)
	}
	if resp := e.clientFrom("127.0.0.2").login("alice", "pw-alice-secret"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("login from another address: status %d, want 303", resp.StatusCode)
	}
	e.advance(auth.DefaultLoginWindow)
	if resp := sprayer.login("alice", "pw-alice-secret"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("login from the spraying address after the window: status %d, want 303", resp.StatusCode)
	}
}

// TestLoginLimitGlobal: failures from many addresses together reach the
// global limit, after which every login is refused, whatever the address,
// until the window has passed.
func TestLoginLimitGlobal(t *testing.T) {
	const global = 4
	e := newEnvWith(t, func(e *env, cfg *Config) {
		cfg.Login = auth.NewLoginThrottle(auth.LoginLimits{Global: global})
		cfg.Login.Now = e.clock
	})
	e.user("alice", false)
	for i := range global {
		ip := fmt.Sprintf("127.0.1.%d", i+1)
		if resp := e.clientFrom(ip).login("alice", "wrong guess"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess from %s: status %d, want 401", ip, resp.StatusCode)
		}
	}
	resp := e.clientFrom("127.0.2.1").login("alice", "pw-alice-secret")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("login from a fresh address past the global limit: status %d (Retry-After %q), want 429 with Retry-After",
			resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	e.advance(auth.DefaultLoginWindow)
	if resp := e.clientFrom("127.0.2.1").login("alice", "pw-alice-secret"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("login after the window: status %d, want 303", resp.StatusCode)
	}
}

// TestClientIPBehindProxy: X-Forwarded-For is believed only from a trusted
// proxy, and then its rightmost untrusted address is the client.
func TestClientIPBehindProxy(t *testing.T) {
	s := &Server{cfg: Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/24"), netip.MustParsePrefix("::1/128")}}}
	for _, tc := range []struct {
		peer string
		xff  []string
		want string
	}{
		{"192.0.2.7:4000", nil, "192.0.2.7"},
		{"192.0.2.7:4000", []string{"198.51.100.1"}, "192.0.2.7"}, // untrusted peer: header ignored
		{"127.0.0.1:4000", nil, "127.0.0.1"},
		{"127.0.0.1:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"127.0.0.1:4000", []string{"203.0.113.9, 198.51.100.1"}, "198.51.100.1"}, // a client-sent first entry is not believed
		{"127.0.0.1:4000", []string{"203.0.113.9", "198.51.100.1, 10.0.0.5"}, "198.51.100.1"},
		{"[::1]:4000", []string{"2001:db8::1"}, "2001:db8::1"},
		{"127.0.0.1:4000", []string{"not-an-address"}, "127.0.0.1"},
		{"127.0.0.1:4000", []string{"10.0.0.5"}, "127.0.0.1"}, // only proxies: the peer
	} {
		r := httptest.NewRequest(http.MethodPost, "/login", nil)
		r.RemoteAddr = tc.peer
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := s.clientIP(r); got != tc.want {
			t.Errorf("peer %s, X-Forwarded-For %q: client %s, want %s", tc.peer, tc.xff, got, tc.want)
		}
	}
}

// TestLimitKeyGroupsIPv6: the login limits count an IPv6 client by its /64,
// so one client's many addresses share one per-address limit.
func TestLimitKeyGroupsIPv6(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":             "192.0.2.7",
		"2001:db8:1:2:3:4:5:6":  "2001:db8:1:2::/64",
		"2001:db8:1:2::ffff":    "2001:db8:1:2::/64",
		"2001:db8:1:3::1":       "2001:db8:1:3::/64",
		"::ffff:192.0.2.7":      "::ffff:192.0.2.7",
		"fe80::1%eth0":          "fe80::/64",
		"not an address at all": "not an address at all",
	} {
		if got := limitKey(in); got != want {
			t.Errorf("limitKey(%q) = %q, want %q", in, got, want)
		}
	}
}
