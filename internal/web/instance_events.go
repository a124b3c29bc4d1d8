package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
)

// pageEvents is how many events the instance page shows at first and loads
// with each "load older".
const pageEvents = 50

// eventFilter is one choice of the Events card's "Show" filter: the kinds
// (as the API's ?kind= takes them) and its label.
type eventFilter struct {
	Kinds string
	Label string
}

// eventFilters are the Events card's filter choices, "all" first.
func eventFilters() []eventFilter {
	return []eventFilter{
		{"", "all events"},
		{"connect,entered,disconnect", "players joining and leaving"},
		{"chat,team_chat", "chat"},
		{"map", "map changes"},
		{"rcon", "RCON commands"},
	}
}

// feedView is the Events card: the newest events first, the filter and
// where "load older" continues.
type feedView struct {
	Events  []views.Event // newest first
	Kind    string        // the filter chosen (?kind=), "" for all
	Filters []eventFilter
	Newest  int64 // the page's stream sends the events after this id (live_stream_feed.go)
	Older   int64 // "load older" asks for events before this id; 0: none older
	Paged   bool  // an older page (?before=): no new events are added
}

// feed reads the Events card of the instance page from the request's
// ?kind= and ?before= (the links the card offers without script); a bad
// value shows the newest of every kind.
func (s *Server) feed(r *http.Request, name string, rl role) (feedView, error) {
	q, field, _ := eventQuery(r)
	if field != "" {
		q = store.EventQuery{}
	}
	q.After, q.Limit, q.Kinds = 0, pageEvents+1, nil
	fv := feedView{Filters: eventFilters(), Paged: q.Before > 0}
	for _, f := range fv.Filters {
		if f.Kinds != "" && f.Kinds == r.URL.Query().Get("kind") {
			fv.Kind = f.Kinds
			q.Kinds = strings.Split(f.Kinds, ",")
		}
	}
	evs, err := s.eventPage(r, name, rl, q)
	if err != nil {
		return fv, err
	}
	if len(evs) > pageEvents { // one more than shown: there are older ones
		evs = evs[1:]
		fv.Older = evs[0].ID
	}
	slices.Reverse(evs)
	fv.Events = evs
	if len(evs) > 0 && !fv.Paged {
		fv.Newest = evs[0].ID
	}
	return fv, nil
}
