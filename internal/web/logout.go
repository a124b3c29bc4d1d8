package web

import "net/http"

// logout ends the session on the server and clears its cookie.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if sess := who(r).Session; sess != nil {
		if err := s.cfg.Store.DeleteSession(r.Context(), sess.IDHash); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	s.setCookie(w, sessionCookie, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
