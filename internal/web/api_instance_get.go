package web

import "net/http"

// apiInstanceGet answers GET /api/v1/instances/{name}.
func (s *Server) apiInstanceGet(w http.ResponseWriter, r *http.Request) {
	inst, rl, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	owners, err := s.ownerNames(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.withLastLines(r.Context(), s.describe(r.Context(), inst, rl, owners)))
}
