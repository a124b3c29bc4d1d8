package web

import "net/http"

// health answers monitoring: 200 with {"status":"ok","db":"ok"} while the
// database answers, 503 otherwise.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Store.DB().PingContext(r.Context()); err != nil {
		s.log.Error("health: database", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "error", "db": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "db": "ok"})
}
