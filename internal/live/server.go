package live

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/left4me/left4me/internal/srcds"
)

// Back-off periods. Polling every few seconds must not turn into an attack
// on a misconfigured server. (A refused RCON password backs off inside
// srcds.Session: srcds bans an address after repeated failures.)
const (
	// a2sBackoff: after a2sMaxMisses misses in a row while RCON answers,
	// A2S is skipped for this long so that each poll does not wait out its
	// timeout (a host address the server does not answer on, say).
	a2sBackoff   = time.Minute
	a2sMaxMisses = 2
	// a2sTimeout bounds the A2S round trips of one poll.
	a2sTimeout = time.Second
	// a2sMinGap is the least time between two A2S queries of one server.
	// A poll triggered sooner (Kick, Changed) asks RCON only and keeps the
	// last scores: the engine answers at most sv_max_queries_sec (3)
	// packets a second per address, and a query is up to four packets
	// (docs/srcds.md §2).
	a2sMinGap = 2 * time.Second
)

// server is the poller's per-target state. Only the refresh pass touches
// it (one goroutine per server per pass).
type server struct {
	target Target // immutable

	// tmu guards busy and again: a triggered poll runs, and another was
	// asked for meanwhile (Poller.pollAsync).
	tmu         sync.Mutex
	busy, again bool

	mu   sync.Mutex // one poll at a time; guards the fields below
	snap Snapshot

	rcon         *srcds.Session // the kept RCON connection
	failingSince time.Time      // start of the first failed poll in a row
	a2sMisses    int
	a2sSkipUntil time.Time
	a2sAt        time.Time // when A2S was last asked
	// The last query's probe results (Snapshot.RCONErr, A2SErr).
	rconErr, a2sErr string
}

func newServer(t Target) *server {
	return &server{target: t, snap: Snapshot{Name: t.Name}, rcon: srcds.NewSession(t.RCONAddr, t.RCONPassword)}
}

type a2sResult struct {
	info    srcds.Info
	players []srcds.Player
	err     error
}

// query polls the server once: RCON status for the player table and map,
// A2S (concurrently, best effort) for scores, or for everything when RCON
// fails. It returns an error only when neither answered.
//
// A triggered poll (not the periodic pass) skips A2S when it was asked
// less than a2sMinGap ago.
func (s *server) query(ctx context.Context, triggered bool) (Snapshot, error) {
	now := time.Now()
	var a2sCh chan a2sResult
	recent := triggered && now.Sub(s.a2sAt) < a2sMinGap
	if now.After(s.a2sSkipUntil) && s.target.A2SAddr != "" && !recent {
		s.a2sAt = now
		a2sCh = make(chan a2sResult, 1)
		go func() {
			actx, cancel := context.WithTimeout(ctx, a2sTimeout)
			defer cancel()
			info, players, err := srcds.Query(actx, s.target.A2SAddr)
			a2sCh <- a2sResult{info, players, err}
		}()
	}
	st, rconErr := s.status(ctx)
	var a2s a2sResult
	if a2sCh != nil {
		a2s = <-a2sCh
		if a2s.err != nil && rconErr == nil {
			s.a2sMisses++
			if s.a2sMisses >= a2sMaxMisses && rconErr == nil {
				s.a2sSkipUntil = time.Now().Add(a2sBackoff)
				s.a2sMisses = 0
			}
		} else if a2s.err == nil {
			s.a2sMisses = 0
		}
	} else if !recent || s.target.A2SAddr == "" {
		a2s.err = errors.New("a2s skipped after repeated misses")
	}
	s.rconErr = errText(rconErr)
	if a2sCh != nil || !recent {
		s.a2sErr = errText(a2s.err)
	}

	switch {
	case rconErr == nil:
		snap := fromStatus(st)
		if a2sCh == nil && recent {
			keepScores(snap.Players, s.snap.Players)
		} else if a2s.err == nil {
			addScores(snap.Players, a2s.players)
			if snap.Hostname == "" {
				snap.Hostname = a2s.info.Name
			}
		}
		return snap, nil
	case a2sCh != nil && a2s.err == nil:
		snap := fromA2S(a2s.info, a2s.players)
		snap.Err = rconErr.Error()
		return snap, nil
	default:
		return Snapshot{}, rconErr
	}
}

// status runs "status" over the kept connection. The session dials when
// there is none and retries once on a fresh connection when the kept one
// was closed (status is idempotent); a timeout (a map load) keeps it.
func (s *server) status(ctx context.Context) (srcds.Status, error) {
	out, err := s.rcon.Exec(ctx, "status", true)
	if err != nil {
		return srcds.Status{}, err
	}
	return srcds.ParseStatus(out)
}

func (s *server) close() { _ = s.rcon.Close() }

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// fromStatus turns parsed status output into a snapshot: humans first,
// then bots.
func fromStatus(st srcds.Status) Snapshot {
	snap := Snapshot{
		Hostname:    st.Hostname,
		Map:         st.Map,
		Humans:      st.Humans,
		Bots:        st.Bots,
		MaxPlayers:  st.MaxPlayers,
		Hibernating: st.Hibernating,
		Players:     make([]Player, 0, len(st.Players)),
	}
	for _, p := range st.Players {
		snap.Players = append(snap.Players, Player{
			UserID:    p.UserID,
			Name:      p.Name,
			SteamID:   p.UniqueID,
			SteamID64: p.SteamID64,
			Connected: p.Connected,
			Ping:      p.Ping,
			Bot:       p.Bot,
		})
	}
	slices.SortStableFunc(snap.Players, func(a, b Player) int {
		switch {
		case a.Bot == b.Bot:
			return 0
		case b.Bot:
			return -1
		}
		return 1
	})
	return snap
}

// addScores copies A2S_PLAYER scores onto status players by name (status
// has no score column); duplicate names are matched in order.
func addScores(players []Player, a2s []srcds.Player) {
	used := make([]bool, len(a2s))
	for i := range players {
		for j, ap := range a2s {
			if !used[j] && ap.Name == players[i].Name {
				used[j] = true
				players[i].Score = ap.Score
				break
			}
		}
	}
}

// keepScores copies the scores of the last snapshot's players onto
// players (matched by user id) when this poll did not ask A2S.
func keepScores(players, last []Player) {
	for i := range players {
		for _, lp := range last {
			if lp.UserID == players[i].UserID && lp.Name == players[i].Name {
				players[i].Score = lp.Score
				break
			}
		}
	}
}

// fromA2S builds a snapshot from A2S alone (RCON unavailable): no SteamIDs,
// pings or user ids, and bots cannot be told from humans by name.
func fromA2S(info srcds.Info, players []srcds.Player) Snapshot {
	snap := Snapshot{
		Hostname:   info.Name,
		Map:        info.Map,
		Humans:     max(0, info.Players-info.Bots),
		Bots:       info.Bots,
		MaxPlayers: info.MaxPlayers,
	}
	for _, p := range players {
		snap.Players = append(snap.Players, Player{Name: p.Name, Score: p.Score, Connected: p.Duration})
	}
	return snap
}
