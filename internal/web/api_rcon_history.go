package web

import "net/http"

// apiRCONHistory answers the instance's console history, oldest first.
func (s *Server) apiRCONHistory(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	entries, err := s.console().History(r.Context(), inst.Name, 0)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	out := make([]rconReply, 0, len(entries))
	for _, e := range entries {
		out = append(out, replyOf(e))
	}
	writeJSON(w, http.StatusOK, map[string]any{"history": out})
}
