package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/history"
	"github.com/left4me/left4me/internal/views"
)

// apiInstanceHistory answers the instance's history: ?from= and ?to= (RFC
// 3339 or Unix seconds; default the last 24 hours) in points ?step= apart
// (a duration such as 5m, or seconds; default about 240 points). A bad
// parameter is a 422 naming it (history.ParseRange).
func (s *Server) apiInstanceHistory(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	rg, err := history.ParseRange(s.cfg.Now(), q.Get("from"), q.Get("to"), q.Get("step"))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	ser, err := history.InstanceHistory(r.Context(), s.cfg.Store, inst.Name, rg)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, views.NewHistory(ser))
}

// apiHostHistory answers the host's history (administrators: it sums every
// instance), with the parameters of apiInstanceHistory.
func (s *Server) apiHostHistory(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rg, err := history.ParseRange(s.cfg.Now(), q.Get("from"), q.Get("to"), q.Get("step"))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	ser, err := history.HostHistory(r.Context(), s.cfg.Store, rg)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, views.NewHostHistory(ser))
}
