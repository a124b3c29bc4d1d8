package web

import (
	"net/http"
	"strconv"
)

// maxLogLines bounds ?n= of the log endpoint.
const maxLogLines = 5000

// apiLogs answers the last n (default 100) console lines.
func (s *Server) apiLogs(w http.ResponseWriter, r *http.Request) {
	inst, rl, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	n := 100
	if q := r.URL.Query().Get("n"); q != "" {
		v, err := strconv.Atoi(q)
		if err != nil || v < 1 {
			writeJSON(w, http.StatusBadRequest, apiError{Error: "n: use a positive number of lines", Field: "n"})
			return
		}
		n = min(v, maxLogLines)
	}
	if s.cfg.Logs == nil {
		writeJSON(w, http.StatusNotFound, apiError{Error: "logs are not available here"})
		return
	}
	lines, err := s.logsFor(rl).Tail(r.Context(), inst.Name, n)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if lines == nil {
		lines = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"lines": lines})
}
