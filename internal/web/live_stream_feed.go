package web

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
)

// The instance page's cards that follow its one event stream
// (live_stream.go): new chat lines, joins and leaves (the chat card) and
// every new game event (the Events card) are sent on the same connection
// as named events ("chat", "join", "event"), each the views.Event the events
// API answers, as soon as the store has them. The page asks for each list
// with its cursor, the newest id of that list it shows:
// ?chat_after=A&joins_after=B&events_after=C (each card adds its own; a
// list not asked for is not sent). Every event carries all three cursors
// as its SSE id ("A-B-C"; an id of an older page, "A-B", still resumes the
// chat card's lists), which the browser sends back as Last-Event-ID when
// it reconnects, so the stream resumes after the last event the page got:
// nothing lost, nothing twice. Every event goes through eventPage, which
// keeps what the viewer may see (the rcon events only for those with the
// console, as the events API).

// chatCatchUp is the most events of each list one send carries (the chat
// card keeps 200, the Events card 500 and loads older ones itself): a page
// that was away longer gets the newest.
const chatCatchUp = 200

// streamList is one list of the stream: its SSE event name, the cursor's
// query field, the kinds it carries (nil: all) and its cursor.
type streamList struct {
	event, field string
	kinds        []string
	on           bool
	at           int64
}

// streamFeed is one stream's lists and cursors, in the order of the SSE id.
type streamFeed struct {
	name  string
	rl    role
	lists []streamList
	notes <-chan struct{}
	stop  func()
}

// streamFeedFor reads the cursors of a request to the instance stream; nil
// when the page asked for no list. A malformed cursor is the field's
// error.
func (s *Server) streamFeedFor(r *http.Request, name string, rl role) (*streamFeed, error) {
	q := r.URL.Query()
	f := &streamFeed{name: name, rl: rl, lists: []streamList{
		{event: "chat", field: "chat_after", kinds: chatKinds},
		{event: "join", field: "joins_after", kinds: joinKinds},
		{event: "event", field: "events_after"},
	}}
	// The chat card asks for both of its lists (its older pages send one
	// cursor and still get both).
	chat := q.Has("chat_after") || q.Has("joins_after")
	var asked bool
	for i := range f.lists {
		l := &f.lists[i]
		l.on = q.Has(l.field) || (chat && i < 2)
		asked = asked || l.on
		if v := q.Get(l.field); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return nil, &instance.FieldError{Field: l.field, Err: fmt.Errorf("%s %q is not an event id: use a whole number, 0 or more", l.field, v)}
			}
			l.at = n
		}
	}
	if !asked {
		return nil, nil
	}
	// A reconnect: resume after what the page already got.
	if last := r.Header.Get("Last-Event-ID"); last != "" {
		for i, part := range strings.SplitN(last, "-", len(f.lists)) {
			if n, err := strconv.ParseInt(part, 10, 64); err == nil && n > f.lists[i].at {
				f.lists[i].at = n
			}
		}
	}
	f.notes, f.stop = s.cfg.Store.SubscribeEvents(name)
	return f, nil
}

// id is the SSE id of the stream's position: every list's cursor.
func (f *streamFeed) id() string {
	parts := make([]string, len(f.lists))
	for i, l := range f.lists {
		parts[i] = strconv.FormatInt(l.at, 10)
	}
	return strings.Join(parts, "-")
}

// sendFeed writes the events stored since the last send, oldest first.
func (s *Server) sendFeed(w io.Writer, r *http.Request, f *streamFeed) (bool, error) {
	type line struct {
		list int
		ev   views.Event
	}
	var out []line
	for i, l := range f.lists {
		if !l.on {
			continue
		}
		evs, err := s.eventPage(r, f.name, f.rl, store.EventQuery{Kinds: l.kinds, After: l.at, Limit: chatCatchUp})
		if err != nil {
			return false, err
		}
		for _, e := range evs {
			out = append(out, line{i, e})
		}
	}
	// All lists in the order they happened (one event in two lists: in
	// the lists' order).
	slices.SortStableFunc(out, func(a, b line) int { return cmp.Compare(a.ev.ID, b.ev.ID) })
	for _, l := range out {
		f.lists[l.list].at = max(f.lists[l.list].at, l.ev.ID)
		b, err := json.Marshal(l.ev)
		if err != nil {
			return false, fmt.Errorf("encode event %d of %s: %w", l.ev.ID, f.name, err)
		}
		// JSON has no raw line breaks: one data field.
		if _, err := fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", f.id(), f.lists[l.list].event, b); err != nil {
			return false, err
		}
	}
	return len(out) > 0, nil
}
