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
)

// The chat card's part of the instance page's one event stream
// (live_stream.go): new chat lines and joins and leaves are sent on the
// same connection as named events ("chat", "join"), each the eventView the
// events API answers, as soon as the store has them. The page asks for
// them with ?chat_after=A&joins_after=B, the newest ids of each list it
// shows; every event carries both cursors as its SSE id ("A-B"), which the
// browser sends back as Last-Event-ID when it reconnects, so the stream
// resumes after the last line the page got: nothing lost, nothing twice.
// Every line goes through eventPage, which keeps what the viewer may see.

// chatCatchUp is the most lines of each list one send carries (the card
// keeps 200): a page that was away longer gets the newest.
const chatCatchUp = 200

// chatFeed is one stream's chat and joins cursor.
type chatFeed struct {
	name            string
	rl              role
	chatAt, joinsAt int64
	notes           <-chan struct{}
	stop            func()
}

// chatFeedFor reads the cursors of a request to the instance stream; nil
// when the page did not ask for chat. A malformed cursor is the field's
// error.
func (s *Server) chatFeedFor(r *http.Request, name string, rl role) (*chatFeed, error) {
	q := r.URL.Query()
	if !q.Has("chat_after") && !q.Has("joins_after") {
		return nil, nil
	}
	f := &chatFeed{name: name, rl: rl}
	for _, c := range []struct {
		field string
		to    *int64
	}{{"chat_after", &f.chatAt}, {"joins_after", &f.joinsAt}} {
		if v := q.Get(c.field); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return nil, &instance.FieldError{Field: c.field, Err: fmt.Errorf("%s %q is not an event id: use a whole number, 0 or more", c.field, v)}
			}
			*c.to = n
		}
	}
	// A reconnect: resume after what the page already got.
	if a, b, ok := strings.Cut(r.Header.Get("Last-Event-ID"), "-"); ok {
		if n, err := strconv.ParseInt(a, 10, 64); err == nil && n > f.chatAt {
			f.chatAt = n
		}
		if n, err := strconv.ParseInt(b, 10, 64); err == nil && n > f.joinsAt {
			f.joinsAt = n
		}
	}
	f.notes, f.stop = s.cfg.Store.SubscribeEvents(name)
	return f, nil
}

// sendChat writes the lines stored since the last send, oldest first.
func (s *Server) sendChat(w io.Writer, r *http.Request, f *chatFeed) (bool, error) {
	type line struct {
		event string
		ev    eventView
	}
	var out []line
	for _, l := range []struct {
		event string
		kinds []string
		after int64
	}{{"chat", chatKinds, f.chatAt}, {"join", joinKinds, f.joinsAt}} {
		evs, err := s.eventPage(r, f.name, f.rl, store.EventQuery{Kinds: l.kinds, After: l.after, Limit: chatCatchUp})
		if err != nil {
			return false, err
		}
		for _, e := range evs {
			out = append(out, line{l.event, e})
		}
	}
	// Both lists in the order they happened.
	slices.SortFunc(out, func(a, b line) int { return cmp.Compare(a.ev.ID, b.ev.ID) })
	for _, l := range out {
		if l.event == "chat" {
			f.chatAt = max(f.chatAt, l.ev.ID)
		} else {
			f.joinsAt = max(f.joinsAt, l.ev.ID)
		}
		b, err := json.Marshal(l.ev)
		if err != nil {
			return false, fmt.Errorf("encode event %d of %s: %w", l.ev.ID, f.name, err)
		}
		// JSON has no raw line breaks: one data field.
		if _, err := fmt.Fprintf(w, "id: %d-%d\nevent: %s\ndata: %s\n\n", f.chatAt, f.joinsAt, l.event, b); err != nil {
			return false, err
		}
	}
	return len(out) > 0, nil
}
