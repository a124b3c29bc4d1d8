package web

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/left4me/left4me/internal/auth"
	"github.com/left4me/left4me/internal/store"
)

// login checks a name and password and starts a session. Failures are
// counted per name and client address; too many answer 429 with Retry-After.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("username"))
	password := r.PostFormValue("password")
	d := loginPageData{Next: r.PostFormValue("next"), Username: name}
	key := strings.ToLower(name) + "|" + clientIP(r)
	// The attempt counts as a failure from here until it succeeds, so that
	// parallel guesses cannot all pass the check during the slow hash.
	if ok, wait := s.cfg.Throttle.Attempt(key); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		d.Error = "Too many failed attempts. Try again in " + played(wait) + "."
		s.showLogin(w, r, http.StatusTooManyRequests, d)
		return
	}
	u, err := s.cfg.Store.UserByName(r.Context(), name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.serverError(w, r, err)
		return
	}
	hash := s.dummyHash() // same cost for an unknown name as for a real check
	if err == nil {
		hash = u.PasswordHash
	}
	verr := s.cfg.Hasher.Verify(r.Context(), hash, password)
	if errors.Is(verr, auth.ErrHashBusy) {
		// Not a failed guess: the attempt does not count against the name.
		s.cfg.Throttle.Reset(key)
		w.Header().Set("Retry-After", "2")
		d.Error = "The panel is busy checking other logins. Try again in a moment."
		s.showLogin(w, r, http.StatusServiceUnavailable, d)
		return
	}
	if err != nil || verr != nil {
		d.Error = "Wrong name or password."
		s.showLogin(w, r, http.StatusUnauthorized, d)
		return
	}
	s.cfg.Throttle.Reset(key)
	if err := s.startSession(r.Context(), w, u); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.log.Info("login", "user", u.Name, "addr", clientIP(r))
	http.Redirect(w, r, safeNext(d.Next), http.StatusSeeOther)
}

// clientIP is the address the request came from (the reverse proxy's, when
// there is one; throttling per user still holds then).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// dummyHash is a valid hash of a random password, computed once.
func (s *Server) dummyHash() string {
	s.dummyOnce.Do(func() {
		secret, _ := auth.NewSecret()
		s.dummy, _ = auth.HashPassword(secret)
	})
	return s.dummy
}
