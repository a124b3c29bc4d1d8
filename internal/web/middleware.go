package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/left4me/left4me/internal/auth"
	"github.com/left4me/left4me/internal/bytesize"
	"github.com/left4me/left4me/internal/store"
)

// principal is who is making a request.
type principal struct {
	User    store.User
	Session *store.Session // nil when authenticated by an API token
	TokenID int64          // the API token's id; 0 with a session
}

type principalKey struct{}

// who returns the request's principal; wrap guarantees one on non-public routes.
func who(r *http.Request) *principal {
	p, _ := r.Context().Value(principalKey{}).(*principal)
	return p
}

// csrfToken returns the token forms must carry, or "" for token-authenticated requests.
func (p *principal) csrfToken() string {
	if p == nil || p.Session == nil {
		return ""
	}
	return p.Session.CSRFToken
}

// maxBody bounds request bodies (forms, JSON, server.cfg texts).
const maxBody = 1 << 20

// stateChanging reports whether a method may change state and so needs CSRF protection.
func stateChanging(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// wrap authenticates a request, enforces the route's access level and the
// CSRF token, then calls the handler.
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = withJSON(r, rt.api)
		w, r, ac := s.auditStart(w, r, rt)
		defer s.auditFinish(ac)
		limit := int64(maxBody)
		if uploadRoutes[rt.pattern] {
			limit = s.cfg.MaxUpload + maxBody // the file plus the form's other fields
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if rt.access == public {
			if r.Method == http.MethodPost && !s.loginCSRFOK(r) {
				s.fail(w, r, http.StatusForbidden, "The form has expired. Reload the page and try again.")
				return
			}
			if ac != nil {
				ac.req = r
			}
			rt.handler(w, r)
			return
		}
		p, err := s.authenticate(w, r)
		if err != nil {
			if !errors.Is(err, errNoCredentials) {
				s.log.Error("authenticate", "path", r.URL.Path, "err", err)
			}
			if answersJSON(r) || r.Method != http.MethodGet {
				s.fail(w, r, http.StatusUnauthorized, "Log in first.")
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if ac != nil {
			ac.req, ac.p = r, p
		}
		if rt.access == adminOnly && !p.User.IsAdmin {
			s.fail(w, r, http.StatusForbidden, "Only administrators may do this.")
			return
		}
		if uploadRoutes[rt.pattern] && p.Session != nil {
			// Parse the upload here so that a file over the limit is
			// answered as such, not as a missing CSRF token.
			if err := r.ParseMultipartForm(32 << 20); err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					s.fail(w, r, http.StatusRequestEntityTooLarge, "The upload is larger than the panel accepts ("+bytesize.Format(s.cfg.MaxUpload)+").")
					return
				}
			}
		}
		// NOTE: API tokens travel in the Authorization header, which a browser
		// never adds on its own, so token requests cannot be forged cross-site
		// and need no CSRF token. Cookie sessions always do.
		if p.Session != nil && stateChanging(r.Method) {
			sent := r.Header.Get("X-CSRF-Token")
			if sent == "" {
				sent = r.PostFormValue("csrf_token")
			}
			if !auth.EqualSecrets(sent, p.Session.CSRFToken) {
				s.fail(w, r, http.StatusForbidden, "Missing or wrong CSRF token. Reload the page and try again.")
				return
			}
		}
		if perm := rt.access.permission(); perm != "" {
			r = withPermission(r, perm)
		}
		hr := r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
		if ac != nil {
			ac.req, ac.p = hr, p
		}
		rt.handler(w, hr)
	})
}

var errNoCredentials = errors.New("no credentials")

// authenticate finds the request's principal from a Bearer token (API routes
// only) or the session cookie.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*principal, error) {
	if p := localPrincipal(r); p != nil {
		return p, nil
	}
	if h := r.Header.Get("Authorization"); h != "" {
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || !answersJSON(r) || !auth.LooksLikeAPIToken(token) {
			return nil, errNoCredentials
		}
		u, tok, err := s.cfg.Store.UserByAPIToken(r.Context(), auth.HashSecret(token))
		if errors.Is(err, store.ErrNotFound) {
			return nil, errNoCredentials
		}
		if err != nil {
			return nil, err
		}
		return &principal{User: u, TokenID: tok.ID}, nil
	}
	return s.session(w, r)
}
