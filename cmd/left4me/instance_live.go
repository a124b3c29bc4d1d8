package main

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/srcds"
)

// instanceLive is what `instance show` reports of a running server, asked
// once over RCON (status) on this host.
type instanceLive struct {
	Map          string `json:"map,omitempty"`
	Humans       int    `json:"humans"`
	Bots         int    `json:"bots"`
	MaxPlayers   int    `json:"max_players"`
	Hibernating  bool   `json:"hibernating"`
	NotAnswering string `json:"not_answering,omitempty"` // why, when it did not answer
}

// askLive runs status on a running instance's server (RCON on loopback
// works with +ip 0.0.0.0; docs/srcds.md §8).
func askLive(ctx context.Context, in instance.Instance) *instanceLive {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	sess := srcds.NewSession(net.JoinHostPort("127.0.0.1", strconv.Itoa(in.Port)), in.RCONPassword)
	defer sess.Close()
	out, err := sess.Exec(ctx, "status", true)
	if err != nil {
		return &instanceLive{NotAnswering: err.Error()}
	}
	st, err := srcds.ParseStatus(out)
	if err != nil {
		return &instanceLive{NotAnswering: err.Error()}
	}
	return &instanceLive{Map: st.Map, Humans: st.Humans, Bots: st.Bots, MaxPlayers: st.MaxPlayers, Hibernating: st.Hibernating}
}

// playersText is the players line of `instance show`: "empty
// (hibernating)" for a hibernating server, not "offline".
func (l *instanceLive) playersText() string {
	switch {
	case l.NotAnswering != "":
		return "not answering (a map change?): " + l.NotAnswering
	case l.Hibernating && l.Humans == 0:
		return "empty (hibernating) on " + l.Map
	}
	return fmt.Sprintf("%d/%d on %s (%d bots)", l.Humans, l.MaxPlayers, l.Map, l.Bots)
}
