package main

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/srcds"
	"github.com/left4me/left4me/internal/views"
)

// askLive runs status on a running instance's server once (RCON on
// loopback works with +ip 0.0.0.0; docs/srcds.md §8): views.Live, the
// shape the panel's live state shares.
func askLive(ctx context.Context, in instance.Instance) *views.Live {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	sess := srcds.NewSession(net.JoinHostPort("127.0.0.1", strconv.Itoa(in.ServerPort())), in.RCONPassword)
	defer sess.Close()
	out, err := sess.Exec(ctx, "status", true)
	if err != nil {
		l := views.LiveNotAnswering(err)
		return &l
	}
	st, err := srcds.ParseStatus(out)
	if err != nil {
		l := views.LiveNotAnswering(err)
		return &l
	}
	l := views.LiveFromStatus(st, time.Now())
	return &l
}

// playersText is the players line of `instance show`: "empty
// (hibernating)" for a hibernating server, not "offline".
func playersText(l *views.Live) string {
	switch {
	case l.NotAnswering:
		return "not answering (a map change?): " + l.Error
	case l.Hibernating && l.Humans == 0:
		return "empty (hibernating) on " + l.Map
	}
	return fmt.Sprintf("%d/%d on %s (%d bots)", l.Humans, l.MaxPlayers, l.Map, l.Bots)
}
