package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// instanceLogStream follows the console log as server-sent events: one
// "data:" event per line, a comment every 15 s to keep proxies from closing
// the stream. A slow reader loses lines instead of holding up the game's log.
func (s *Server) instanceLogStream(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r, false)
	if !ok {
		return
	}
	if s.cfg.Logs == nil {
		s.fail(w, r, false, http.StatusNotFound, "Logs are not available here.")
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	rc := http.NewResponseController(w)
	ctx := r.Context()
	lines := make(chan string, 512)
	done := make(chan error, 1)
	go func() {
		done <- s.cfg.Logs.Follow(ctx, inst.Name, func(line string) {
			select {
			case lines <- line:
			default: // reader too slow: drop
			}
		})
	}()
	fmt.Fprint(w, ": following\n\n")
	rc.Flush()
	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case err := <-done:
			if err != nil && ctx.Err() == nil {
				s.log.Warn("follow log", "instance", inst.Name, "err", err)
			}
			fmt.Fprint(w, "event: end\ndata: log ended\n\n")
			rc.Flush()
			return
		case line := <-lines:
			fmt.Fprintf(w, "data: %s\n\n", strings.ReplaceAll(line, "\n", " "))
		case <-tick.C:
			fmt.Fprint(w, ": ping\n\n")
		}
		if len(lines) == 0 {
			if err := rc.Flush(); err != nil {
				return
			}
		}
	}
}
