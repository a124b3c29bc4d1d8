package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// The pages' live state: one server-sent event stream per page (the
// instance list, an instance) instead of the page polling the API. Each
// event is the JSON the API answers (GET /api/v1/instances, GET
// /api/v1/instances/NAME/live), sent when it changed: after every change
// the live poller publishes (a poll, a start, stop or restart) and at
// least every liveResend while nothing is published.

// LiveNotifier is a LiveSource that says when its state changed (the live
// poller's Subscribe: a coalesced notification after each change).
type LiveNotifier interface {
	Subscribe() (<-chan struct{}, func())
}

const (
	// liveMinGap is the least time between two events of one stream: a
	// burst of polls is one event.
	liveMinGap = 150 * time.Millisecond
	// liveResend is how often a stream looks again without a
	// notification (a state no poll reports, a source that notifies
	// nothing).
	liveResend = 5 * time.Second
	// livePing keeps proxies from closing a quiet stream.
	livePing = 15 * time.Second
)

// liveListStream streams the instance list's state (GET /live/instances).
func (s *Server) liveListStream(w http.ResponseWriter, r *http.Request) {
	s.streamLive(w, r, nil, func(ctx context.Context) (any, error) {
		views, err := s.listViews(r)
		if err != nil {
			return nil, err
		}
		return map[string]any{"instances": views}, nil
	})
}

// instanceLiveStream streams one instance's state and live game state
// (GET /instances/{name}/live/stream).
func (s *Server) instanceLiveStream(w http.ResponseWriter, r *http.Request) {
	inst, rl, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	feed, err := s.streamFeedFor(r, inst.Name, rl)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	if feed != nil {
		defer feed.stop()
	}
	s.streamLive(w, r, feed, func(ctx context.Context) (any, error) {
		return s.liveOf(ctx, inst, rl), nil
	})
}

// streamLive sends what state answers as "data:" events whenever it
// changed, and feed's new chat lines, joins and events when feed is not
// nil (live_stream_feed.go), until the client goes.
func (s *Server) streamLive(w http.ResponseWriter, r *http.Request, feed *streamFeed, state func(ctx context.Context) (any, error)) {
	ctx := r.Context()
	var notes <-chan struct{}
	if n, ok := s.cfg.Live.(LiveNotifier); ok {
		ch, stop := n.Subscribe()
		defer stop()
		notes = ch
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	rc := http.NewResponseController(w)
	resend := time.NewTicker(liveResend)
	defer resend.Stop()
	ping := time.NewTicker(livePing)
	defer ping.Stop()
	var last []byte
	var sentAt time.Time
	var chat <-chan struct{}
	if feed != nil {
		chat = feed.notes
	}
	for {
		if feed != nil {
			if sent, err := s.sendFeed(w, r, feed); err != nil {
				if ctx.Err() == nil {
					s.log.Warn("chat stream", "path", r.URL.Path, "err", err)
				}
			} else if sent {
				if err := rc.Flush(); err != nil {
					return
				}
			}
		}
		v, err := state(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("live state stream", "path", r.URL.Path, "err", err)
			}
		} else if b, err := json.Marshal(v); err == nil && !bytes.Equal(b, last) {
			fmt.Fprintf(w, "data: %s\n\n", b) // JSON has no raw line breaks
			if err := rc.Flush(); err != nil {
				return
			}
			last, sentAt = b, time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-notes:
		case <-chat:
			continue // a chat line waits for no gap
		case <-resend.C:
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
			if err := rc.Flush(); err != nil {
				return
			}
			continue
		}
		if wait := liveMinGap - time.Since(sentAt); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
	}
}
