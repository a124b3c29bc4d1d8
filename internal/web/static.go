package web

import (
	"net/http"
)

// staticFiles serves the embedded CSS and JavaScript.
func (s *Server) staticFiles(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	http.StripPrefix("/static", s.static).ServeHTTP(w, r)
}
