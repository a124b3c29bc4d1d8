package web

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/live"
	"github.com/left4me/left4me/internal/srcds"
)

// Adapters from the live poller, the RCON client and the instance service
// to what the panel consumes. cmd/left4me and the browser test share them.

// PollerLive serves the panel's live state from a live.Poller.
func PollerLive(p *live.Poller) LiveSource { return pollerLive{p} }

type pollerLive struct{ p *live.Poller }

// Live converts the poller's snapshot; a persona name, when known, replaces
// the in-game name.
func (l pollerLive) Live(name string) (LiveState, bool) {
	snap, ok := l.p.Snapshot(name)
	if !ok || !snap.Online {
		return LiveState{}, false
	}
	st := LiveState{Online: snap.Online, Hostname: snap.Hostname, Map: snap.Map, Humans: snap.Humans,
		MaxPlayers: snap.MaxPlayers, UpdatedAt: snap.UpdatedAt, Players: make([]LivePlayer, 0, len(snap.Players))}
	for _, pl := range snap.Players {
		name := pl.Name
		if pl.PersonaName != "" {
			name = pl.PersonaName
		}
		st.Players = append(st.Players, LivePlayer{Name: name, SteamID: pl.SteamID, Score: pl.Score,
			Connected: pl.Connected, Ping: pl.Ping, AvatarURL: pl.AvatarURL, Bot: pl.Bot})
	}
	return st, true
}

// gameAddr is where an instance's server answers on this host.
func gameAddr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// LiveTargets lists the running instances for the live poller; states
// (the supervisor) says which are running. A nil states asks svc.
func LiveTargets(svc Instances, states StatusReader) live.TargetFunc {
	if states == nil {
		states = svc
	}
	return func(ctx context.Context) ([]live.Target, error) {
		all, err := svc.List(ctx)
		if err != nil {
			return nil, err
		}
		var out []live.Target
		for _, in := range all {
			st, err := states.Status(ctx, in.Name)
			if err != nil || st.State != instance.Running {
				continue
			}
			out = append(out, live.Target{Name: in.Name, Addr: gameAddr(in.Port), RCONPassword: in.RCONPassword})
		}
		return out, nil
	}
}

// RCONConsole sends console commands over a fresh RCON connection to the
// instance's port on this host.
func RCONConsole(timeout time.Duration) Console {
	return ConsoleFunc(func(ctx context.Context, inst instance.Instance, command string) (string, error) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		c, err := srcds.Dial(ctx, gameAddr(inst.Port), inst.RCONPassword)
		if err != nil {
			return "", fmt.Errorf("connect to %s: %w", inst.Name, err)
		}
		defer c.Close()
		return c.Exec(ctx, command)
	})
}

// LogSources tells the events recorder which instance sends from a port.
func LogSources(svc Instances) func(ctx context.Context, port int) (srcds.LogSource, bool, error) {
	return func(ctx context.Context, port int) (srcds.LogSource, bool, error) {
		all, err := svc.List(ctx)
		if err != nil {
			return srcds.LogSource{}, false, err
		}
		for _, in := range all {
			if in.Port == port {
				return srcds.LogSource{Instance: in.Name}, true, nil
			}
		}
		return srcds.LogSource{}, false, nil
	}
}
