package web

import (
	"net/http"
	"strconv"

	"github.com/left4me/left4me/internal/events"
	"github.com/left4me/left4me/internal/store"
)

// defaultEventPage is how many events one answer holds unless ?limit= says.
const defaultEventPage = 100

// apiEvents answers a page of the instance's game events, oldest first:
// the newest ?limit= (default 100, at most store.EventRetention) after
// ?after=ID and before ?before=ID, of the kinds in ?kind= (comma-separated;
// default all). The instance page's script loads older ones with before=
// (its new ones come on the page's stream, live_stream_feed.go).
func (s *Server) apiEvents(w http.ResponseWriter, r *http.Request) {
	inst, rl, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	q, field, msg := eventQuery(r)
	if field != "" {
		writeJSON(w, http.StatusBadRequest, apiError{Error: msg, Field: field})
		return
	}
	evs, err := s.eventPage(r, inst.Name, rl, q)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": evs})
}

// eventQuery reads the events query; a bad parameter is named in field,
// with the message.
func eventQuery(r *http.Request) (q store.EventQuery, field, msg string) {
	v := r.URL.Query()
	id := func(name string) int64 {
		raw := v.Get(name)
		if raw == "" || field != "" {
			return 0
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < 0 {
			field, msg = name, name+": use an event id (a whole number, 0 or more)"
		}
		return n
	}
	q.After, q.Before = id("after"), id("before")
	q.Limit = defaultEventPage
	if raw := v.Get("limit"); raw != "" && field == "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > store.EventRetention {
			return q, "limit", "limit: use a number from 1 to " + strconv.Itoa(store.EventRetention)
		}
		q.Limit = n
	}
	if raw := v.Get("kind"); raw != "" && field == "" {
		kinds, err := events.ParseKinds(raw)
		if err != nil {
			return q, "kind", "kind: " + err.Error()
		}
		q.Kinds = kinds
	}
	return q, field, msg
}
