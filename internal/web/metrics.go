package web

import (
	"net/http"
	"time"
)

// RequestObserver records how long each request took, by the route
// table's pattern (*metrics.Metrics).
type RequestObserver interface {
	ObserveRequest(route string, code int, d time.Duration)
}

// observe hands one answered request to Config.Metrics. r.Pattern is the
// pattern of the route that answered, which the mux set while serving;
// a request no route matched is "unmatched", so that raw paths never
// become series.
func (s *Server) observe(r *http.Request, code int, d time.Duration) {
	if s.cfg.Metrics == nil {
		return
	}
	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	s.cfg.Metrics.ObserveRequest(route, code, d)
}
