package main

import (
	"github.com/left4me/left4me/internal/events"
	"github.com/left4me/left4me/internal/live"
)

// pollOnEvent makes the live poller poll a server at once when its log
// says that its players or its map changed: a player connected, entered
// the game or left, a map started. Other events change nothing the live
// state shows.
func pollOnEvent(p *live.Poller) func(events.Event) {
	return func(e events.Event) {
		switch e.Kind {
		case events.KindConnect, events.KindEntered, events.KindDisconnect, events.KindMap:
			p.Kick(e.Instance)
		}
	}
}
