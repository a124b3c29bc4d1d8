package web

import (
	"net/http"
	"strings"
)

// staticFiles serves the embedded CSS and JavaScript (no directory listings).
func (s *Server) staticFiles(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	http.StripPrefix("/static", s.static).ServeHTTP(w, r)
}
