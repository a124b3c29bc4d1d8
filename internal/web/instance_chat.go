package web

import (
	"net/http"
	"slices"

	"github.com/left4me/left4me/internal/events"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
)

// chatLines is how many chat lines and joins the chat card shows at first.
const chatLines = 30

// chatSection is the instance page's chat card
// (templates/instance_chat.html): say and say_team lines with the
// player's name and team, and who joined and left, newest first; the
// card's script (static/chat.js) adds newer ones from the page's event
// stream (live_stream_feed.go).
type chatSection struct {
	Chat     []views.Event
	Timeline []views.Event
	// AfterChat and AfterJoins are the newest ids shown: the page's stream
	// sends the events after them.
	AfterChat, AfterJoins int64
}

// chatKinds and joinKinds are the events each list shows.
var (
	chatKinds = []string{events.KindChat, events.KindTeamChat}
	joinKinds = []string{events.KindConnect, events.KindEntered, events.KindDisconnect}
)

// chatSectionFor reads the card (every reader of the feed goes through
// eventPage, which keeps what rl may see).
func (s *Server) chatSectionFor(r *http.Request, name string, rl role) (chatSection, error) {
	var sec chatSection
	page := func(kinds []string) ([]views.Event, int64, error) {
		evs, err := s.eventPage(r, name, rl, store.EventQuery{Kinds: kinds, Limit: chatLines})
		if err != nil || len(evs) == 0 {
			return evs, 0, err
		}
		newest := evs[len(evs)-1].ID
		slices.Reverse(evs)
		return evs, newest, nil
	}
	var err error
	if sec.Chat, sec.AfterChat, err = page(chatKinds); err != nil {
		return sec, err
	}
	sec.Timeline, sec.AfterJoins, err = page(joinKinds)
	return sec, err
}
