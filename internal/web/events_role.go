package web

import (
	"github.com/left4me/left4me/internal/events"
	"github.com/left4me/left4me/internal/roles"
	"github.com/left4me/left4me/internal/views"
)

// eventsFor keeps the events rl may see: the rcon events (the commands
// sent to the server, and bad passwords) are part of the console history,
// so they need roles.Console; every other kind is the game's (joins,
// chat, maps) and needs only roles.View.
func eventsFor(rl role, evs []views.Event) []views.Event {
	if rl.May(roles.Console) {
		return evs
	}
	out := evs[:0:0]
	for _, e := range evs {
		if e.Kind != events.KindRCON {
			out = append(out, e)
		}
	}
	return out
}
