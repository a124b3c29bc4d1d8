package web

import (
	"net/http"
	"strings"
)

// loginPageData is what the login form shows.
type loginPageData struct {
	Next     string
	Username string
	Error    string
	NoUsers  bool
	Token    string
}

// loginPage shows the login form. With no account at all it says how to
// create the first one: no account exists until an operator creates it.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if p, err := s.session(w, r); err == nil && p != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.showLogin(w, r, http.StatusOK, loginPageData{Next: r.URL.Query().Get("next")})
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, status int, d loginPageData) {
	tok, err := s.loginCSRF(w, r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	n, err := s.cfg.Store.CountUsers(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	d.Token, d.NoUsers, d.Next = tok, n == 0, safeNext(d.Next)
	s.renderView(w, r, status, "login", view{Title: "Log in", Page: d})
}

// safeNext keeps a post-login redirect on this site: a path starting with
// one "/". Browsers drop tabs and newlines from a Location and read a backslash
// as "/", so "/\t/evil.example" would leave the site: any control character,
// space or backslash sends the user to the instance list instead.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsFunc(next, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' }) {
		return "/instances"
	}
	return next
}
