package fakesrcds

import (
	"net/netip"
	"time"
)

// queryLimit is the engine's limit on connectionless queries (A2S): at
// most sv_max_queries_sec from one address and sv_max_queries_sec_global
// from anywhere, counted over windows of sv_max_queries_window seconds.
// Every query counts, answered or not, so an address that floods the
// server stays unanswered while it floods (docs/srcds.md §2, "The server
// rate-limits A2S per source"; the defaults are those of public copies of
// the engine's code, unverified for L4D2). Guarded by Server.mu.
type queryLimit struct {
	start time.Time // the current window's start
	perIP map[netip.Addr]int
	total int
}

// queryAllowedLocked counts a query from ip and reports whether it is
// within the limits.
func (s *Server) queryAllowedLocked(ip netip.Addr, now time.Time) bool {
	window := s.cvars.float("sv_max_queries_window")
	if window <= 0 {
		window = 30
	}
	q := &s.queries
	if q.perIP == nil || now.Sub(q.start) > time.Duration(window*float64(time.Second)) {
		*q = queryLimit{start: now, perIP: map[netip.Addr]int{}}
	}
	q.perIP[ip]++
	q.total++
	perIP := s.cvars.float("sv_max_queries_sec")
	global := s.cvars.float("sv_max_queries_sec_global")
	if perIP > 0 && float64(q.perIP[ip]) > perIP*window {
		return false
	}
	return global <= 0 || float64(q.total) <= global*window
}
