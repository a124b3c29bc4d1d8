package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/left4me/left4me/internal/auth"
	"github.com/left4me/left4me/internal/store"
)

// Cookie names.
const (
	sessionCookie   = "left4me_session"
	loginCSRFCookie = "left4me_login"
)

// startSession creates a server-side session for u and sets its cookie. The
// cookie holds a random 32-byte id; the database holds only its SHA-256.
func (s *Server) startSession(ctx context.Context, w http.ResponseWriter, u store.User) error {
	id, err := auth.NewSecret()
	if err != nil {
		return err
	}
	csrf, err := auth.NewSecret()
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	sess := store.Session{IDHash: auth.HashSecret(id), UserID: u.ID, CSRFToken: csrf, CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL)}
	if err := s.cfg.Store.CreateSession(ctx, sess); err != nil {
		return fmt.Errorf("start session for %s: %w", u.Name, err)
	}
	s.setCookie(w, sessionCookie, id, s.cfg.SessionTTL)
	return nil
}

// session returns the principal of the session cookie, renewing the session
// when less than half of its lifetime is left (sliding expiry).
func (s *Server) session(w http.ResponseWriter, r *http.Request) (*principal, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, errNoCredentials
	}
	now := s.cfg.Now()
	sess, u, err := s.cfg.Store.SessionByHash(r.Context(), auth.HashSecret(c.Value), now)
	if errors.Is(err, store.ErrNotFound) {
		s.setCookie(w, sessionCookie, "", -1)
		return nil, errNoCredentials
	}
	if err != nil {
		return nil, err
	}
	if sess.ExpiresAt.Sub(now) < s.cfg.SessionTTL/2 {
		sess.ExpiresAt = now.Add(s.cfg.SessionTTL)
		if err := s.cfg.Store.ExtendSession(r.Context(), sess.IDHash, sess.ExpiresAt); err != nil {
			return nil, err
		}
		s.setCookie(w, sessionCookie, c.Value, s.cfg.SessionTTL)
	}
	return &principal{User: u, Session: &sess}, nil
}

// setCookie sets (or, with a negative ttl, clears) an HttpOnly, SameSite=Lax cookie.
func (s *Server) setCookie(w http.ResponseWriter, name, value string, ttl time.Duration) {
	c := &http.Cookie{
		Name: name, Value: value, Path: "/",
		HttpOnly: true, Secure: s.cfg.CookieSecure, SameSite: http.SameSiteLaxMode,
	}
	if ttl < 0 {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(ttl / time.Second)
	}
	http.SetCookie(w, c)
}

// loginCSRF returns the double-submit token of the login form, setting its
// cookie when the browser has none yet. There is no session before login, so
// the token lives in its own short-lived cookie.
func (s *Server) loginCSRF(w http.ResponseWriter, r *http.Request) (string, error) {
	if c, err := r.Cookie(loginCSRFCookie); err == nil && len(c.Value) >= 32 {
		return c.Value, nil
	}
	tok, err := auth.NewSecret()
	if err != nil {
		return "", err
	}
	s.setCookie(w, loginCSRFCookie, tok, time.Hour)
	return tok, nil
}

// loginCSRFOK checks the login form's token against its cookie.
func (s *Server) loginCSRFOK(r *http.Request) bool {
	c, err := r.Cookie(loginCSRFCookie)
	if err != nil {
		return false
	}
	return auth.EqualSecrets(c.Value, r.PostFormValue("csrf_token"))
}
