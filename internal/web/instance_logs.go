package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// instanceLogStream follows the console log as server-sent events: one
// "data:" event per line, a comment every 15 s to keep proxies from closing
// the stream. A slow reader loses lines instead of holding up the game's log.
func (s *Server) instanceLogStream(w http.ResponseWriter, r *http.Request) {
	inst, rl, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	logs := s.logsFor(rl)
	if logs == nil {
		s.fail(w, r, http.StatusNotFound, "Logs are not available here.")
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
		done <- logs.Follow(ctx, inst.Name, func(line string) {
			select {
			case lines <- line:
			default: // reader too slow: drop
			}
		})
	}()
	// NOTE: the log readers follow only lines written after they subscribe,
	// so a separate Tail would lose what the server printed in between. The
	// stream therefore subscribes first, then sends the tail after a "reset"
	// event, dropping followed lines the tail already holds.
	time.Sleep(followSettle)
	tail, err := logs.Tail(ctx, inst.Name, s.cfg.LogLines)
	if err != nil {
		s.log.Warn("read log tail", "instance", inst.Name, "err", err)
	}
	fmt.Fprint(w, "event: reset\ndata: \n\n")
	for _, line := range tail {
		fmt.Fprint(w, sseData(line))
	}
	var early []string
	for n := len(lines); n > 0; n-- {
		early = append(early, <-lines)
	}
	for _, line := range early[overlap(tail, early):] {
		fmt.Fprint(w, sseData(line))
	}
	// The lines so far are the past; a "live" event says so (the CLI's
	// logs --follow prints only the last -n of them). The page ignores it.
	fmt.Fprint(w, "event: live\ndata: \n\n")
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
			fmt.Fprint(w, sseData(line))
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

// followSettle lets the follower subscribe before the tail is read.
const followSettle = 100 * time.Millisecond

// overlap returns the length of the longest prefix of early that is also a
// suffix of tail: those lines were followed and are in the tail too.
func overlap(tail, early []string) int {
	for m := min(len(early), len(tail)); m > 0; m-- {
		if slices.Equal(early[:m], tail[len(tail)-m:]) {
			return m
		}
	}
	return 0
}

// sseLineBreaks are what ends a line of an event stream: CR, LF and CRLF.
var sseLineBreaks = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ")

// sseData is one log line as a single "data:" event. A CR counts as a line
// break in an event stream as much as an LF does, so both become spaces:
// a game log line (a player's name or chat) must not be able to start an
// "event: end" or "event: reset" field of its own.
func sseData(line string) string {
	return "data: " + sseLineBreaks.Replace(line) + "\n\n"
}
