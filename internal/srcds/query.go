package srcds

import (
	"context"
	"fmt"
	"time"

	a2s "github.com/rumblefrog/go-a2s"
)

// Info is a server's A2S_INFO reply.
type Info struct {
	Name       string
	Map        string
	Folder     string // mod directory, "left4dead2"
	Game       string
	AppID      uint16
	Players    int // clients including bots
	MaxPlayers int
	Bots       int
	Password   bool
	VAC        bool
	Version    string
	Port       int    // game port from the extra data, 0 when absent
	Keywords   string // sv_tags and game mode from the extra data
}

// Player is one entry of an A2S_PLAYER reply.
type Player struct {
	Name     string
	Score    int
	Duration time.Duration // time connected
}

// defaultQueryTimeout bounds each A2S round trip when ctx has no deadline.
const defaultQueryTimeout = 3 * time.Second

// Query asks a server for A2S_INFO and A2S_PLAYER (each with the challenge
// round when the server asks for one). addr is "host:port" of the game port.
//
// NOTE: a real L4D2 server does not answer A2S sent to 127.0.0.1 and
// rate-limits per source (docs/srcds.md §2, §8): query a non-loopback
// address of the host, poll modestly, and treat one missed reply as no
// verdict (a map load stalls the server for 10–30 s).
func Query(ctx context.Context, addr string) (Info, []Player, error) {
	timeout := defaultQueryTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
		if timeout <= 0 {
			return Info{}, nil, fmt.Errorf("a2s query %s: %w", addr, context.DeadlineExceeded)
		}
	}
	type result struct {
		info    Info
		players []Player
		err     error
	}
	done := make(chan result, 1)
	client, err := a2s.NewClient(addr, a2s.TimeoutOption(timeout))
	if err != nil {
		return Info{}, nil, fmt.Errorf("a2s query %s: %w", addr, err)
	}
	go func() {
		var r result
		// go-a2s indexes into replies without bounds checks in places; a
		// malformed reply must be an error, not a crash of the panel.
		defer func() {
			if p := recover(); p != nil {
				r = result{err: fmt.Errorf("a2s query %s: malformed reply: %v", addr, p)}
			}
			done <- r
		}()
		si, err := client.QueryInfo()
		if err != nil {
			r.err = fmt.Errorf("a2s query %s: info: %w", addr, err)
			return
		}
		r.info = infoFrom(si)
		pi, err := client.QueryPlayer()
		if err != nil {
			r.err = fmt.Errorf("a2s query %s: players: %w", addr, err)
			return
		}
		r.players = make([]Player, 0, len(pi.Players))
		for _, p := range pi.Players {
			r.players = append(r.players, Player{
				Name:     p.Name,
				Score:    int(int32(p.Score)),
				Duration: time.Duration(float64(p.Duration) * float64(time.Second)),
			})
		}
	}()
	select {
	case r := <-done:
		_ = client.Close()
		return r.info, r.players, r.err
	case <-ctx.Done():
		_ = client.Close() // unblocks the reader
		<-done
		return Info{}, nil, fmt.Errorf("a2s query %s: %w", addr, ctx.Err())
	}
}

func infoFrom(si *a2s.ServerInfo) Info {
	in := Info{
		Name:       si.Name,
		Map:        si.Map,
		Folder:     si.Folder,
		Game:       si.Game,
		AppID:      si.ID,
		Players:    int(si.Players),
		MaxPlayers: int(si.MaxPlayers),
		Bots:       int(si.Bots),
		Password:   si.Visibility,
		VAC:        si.VAC,
		Version:    si.Version,
	}
	if e := si.ExtendedServerInfo; e != nil {
		in.Port = int(e.Port)
		in.Keywords = e.Keywords
	}
	return in
}
