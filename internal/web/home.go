package web

import "net/http"

// home sends the root to the instance list.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/instances", http.StatusSeeOther)
}
