package web

import "net/http"

// apiInstanceList answers GET /api/v1/instances: the instances the caller
// may see, with state and live summary.
func (s *Server) apiInstanceList(w http.ResponseWriter, r *http.Request) {
	views, err := s.listViews(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"instances": views})
}
