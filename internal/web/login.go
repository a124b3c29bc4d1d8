package web

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/left4me/left4me/internal/auth"
	"github.com/left4me/left4me/internal/store"
)

// login checks a name and password and starts a session. Failures are
// counted per name and client address, per address and for the whole panel
// (auth.LoginThrottle); too many answer 429 with Retry-After.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("username"))
	password := r.PostFormValue("password")
	d := loginPageData{Next: r.PostFormValue("next"), Username: name}
	addr := s.clientIP(r)
	// The attempt counts as a failure from here until it succeeds, so that
	// parallel guesses cannot all pass the check during the slow hash.
	attempt, ok, wait := s.cfg.Login.Attempt(strings.ToLower(name), limitKey(addr))
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		d.Error = "Too many failed attempts. Try again in " + played(wait) + "."
		s.showLogin(w, r, http.StatusTooManyRequests, d)
		return
	}
	u, err := s.cfg.Store.UserByName(r.Context(), name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.cfg.Login.Cancel(attempt)
		s.serverError(w, r, err)
		return
	}
	hash := s.dummyHash() // same cost for an unknown name as for a real check
	if err == nil {
		hash = u.PasswordHash
	}
	verr := s.cfg.Hasher.Verify(r.Context(), hash, password)
	if errors.Is(verr, auth.ErrHashBusy) {
		// Not a failed guess: the attempt does not count against any limit.
		s.cfg.Login.Cancel(attempt)
		w.Header().Set("Retry-After", "2")
		d.Error = "The panel is busy checking other logins. Try again in a moment."
		s.showLogin(w, r, http.StatusServiceUnavailable, d)
		return
	}
	if err != nil || verr != nil {
		s.log.Info("login failed", "user", name, "addr", addr)
		d.Error = "Wrong name or password."
		s.showLogin(w, r, http.StatusUnauthorized, d)
		return
	}
	s.cfg.Login.Succeeded(attempt)
	if err := s.startSession(r.Context(), w, u); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.log.Info("login", "user", u.Name, "addr", addr)
	http.Redirect(w, r, safeNext(d.Next), http.StatusSeeOther)
}

// clientIP is the address the request came from. When the peer is one of
// Config.TrustedProxies it is the rightmost address of X-Forwarded-For
// that is not a trusted proxy (the address the proxy itself saw); without
// a usable header it is the peer's, which all clients of a proxy then share.
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !s.trusted(peer) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return host
		}
		if a = a.Unmap(); !s.trusted(a) {
			return a.String()
		}
	}
	return host
}

// limitKey is what the login limits count an address by: an IPv6 address
// by its /64, which one client usually has whole (counted one by one, its
// addresses would never reach the per-address limit); other addresses as
// they are.
func limitKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Is6() || a.Is4In6() {
		return addr
	}
	p, _ := a.WithZone("").Prefix(64)
	return p.String()
}

// trusted reports whether a is one of the configured reverse proxies.
func (s *Server) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// dummyHash is a valid hash of a random password, computed once.
func (s *Server) dummyHash() string {
	s.dummyOnce.Do(func() {
		secret, _ := auth.NewSecret()
		s.dummy, _ = auth.HashPassword(secret)
	})
	return s.dummy
}
