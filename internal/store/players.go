package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"
)

// The event kinds the player history reads (internal/events names them).
const (
	kindConnect    = "connect"
	kindDisconnect = "disconnect"
)

// trackPlayer keeps the player history (migration 00014) with an event of
// a player: a connect opens a session (closing one left open, at its last
// sighting), a disconnect closes it, anything else the player does keeps
// it open (opening one when the panel started after the player joined).
func trackPlayer(ctx context.Context, tx *sql.Tx, e Event) error {
	if e.SteamID64 == 0 || e.SteamID64 > math.MaxInt64 {
		return nil
	}
	sid := int64(e.SteamID64)
	at := e.At.Format(time.RFC3339Nano)
	if e.Player != "" {
		if _, err := tx.ExecContext(ctx, `INSERT INTO player_names (steamid64, instance, name, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (steamid64, instance, name) DO UPDATE SET last_seen = excluded.last_seen`, sid, e.Instance, e.Player, at, at); err != nil {
			return fmt.Errorf("player history: name: %w", err)
		}
	}
	var open int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM player_sessions WHERE instance = ? AND steamid64 = ? AND ended_at IS NULL ORDER BY id DESC LIMIT 1`,
		e.Instance, sid).Scan(&open)
	if errors.Is(err, sql.ErrNoRows) {
		open = 0
	} else if err != nil {
		return fmt.Errorf("player history: %w", err)
	}
	switch {
	case e.Kind == kindDisconnect:
		if open == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE player_sessions SET ended_at = ?1, last_seen = ?1 WHERE id = ?2`, at, open)
	case e.Kind == kindConnect || open == 0:
		if open != 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE player_sessions SET ended_at = last_seen WHERE id = ?`, open); err != nil {
				return fmt.Errorf("player history: %w", err)
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO player_sessions (steamid64, steamid, instance, name, started_at, last_seen) VALUES (?, ?, ?, ?, ?, ?)`,
			sid, e.SteamID, e.Instance, e.Player, at, at)
	default:
		_, err = tx.ExecContext(ctx, `UPDATE player_sessions SET last_seen = ? WHERE id = ?`, at, open)
	}
	if err != nil {
		return fmt.Errorf("player history: %w", err)
	}
	return nil
}

// PlayerOnInstance is a player's history on one instance.
type PlayerOnInstance struct {
	Instance  string
	FirstSeen time.Time
	LastSeen  time.Time
	// Total is the time spent on it: each session from its start to its
	// end, or to its last sighting while open.
	Total    time.Duration
	Sessions int
	// Online: a session is open (no disconnect seen yet).
	Online bool
	Names  []string
}

// PlayerHistory is what the panel knows of one player.
type PlayerHistory struct {
	SteamID64 uint64
	// SteamID is the id as the logs last wrote it.
	SteamID   string
	FirstSeen time.Time
	LastSeen  time.Time
	Total     time.Duration
	// Names are the names used, first used first.
	Names     []string
	Instances []PlayerOnInstance // most recently seen first
}

// Player returns the history of a player on the instances visible allows
// (nil: every instance); ErrNotFound (wrapped) when none has seen them.
func (s *Store) Player(ctx context.Context, steamID64 uint64, visible func(instance string) bool) (PlayerHistory, error) {
	if steamID64 == 0 || steamID64 > math.MaxInt64 {
		return PlayerHistory{}, fmt.Errorf("player %d: %w", steamID64, ErrNotFound)
	}
	sid := int64(steamID64)
	rows, err := s.db.QueryContext(ctx, `SELECT instance, steamid, started_at, last_seen, ended_at FROM player_sessions WHERE steamid64 = ? ORDER BY id`, sid)
	if err != nil {
		return PlayerHistory{}, fmt.Errorf("player %d: %w", steamID64, err)
	}
	defer rows.Close()
	h := PlayerHistory{SteamID64: steamID64}
	per := map[string]*PlayerOnInstance{}
	for rows.Next() {
		var inst, steamid, started, last string
		var ended sql.NullString
		if err := rows.Scan(&inst, &steamid, &started, &last, &ended); err != nil {
			return PlayerHistory{}, fmt.Errorf("player %d: %w", steamID64, err)
		}
		if visible != nil && !visible(inst) {
			continue
		}
		start, end := parseTime(started), parseTime(last)
		if ended.Valid {
			end = parseTime(ended.String)
		}
		p := per[inst]
		if p == nil {
			p = &PlayerOnInstance{Instance: inst, FirstSeen: start}
			per[inst] = p
		}
		if end.After(p.LastSeen) {
			p.LastSeen = end
		}
		if d := end.Sub(start); d > 0 {
			p.Total += d
		}
		p.Sessions++
		p.Online = !ended.Valid
		h.SteamID = steamid
	}
	if err := rows.Err(); err != nil {
		return PlayerHistory{}, fmt.Errorf("player %d: %w", steamID64, err)
	}
	if len(per) == 0 {
		return PlayerHistory{}, fmt.Errorf("player %d: %w", steamID64, ErrNotFound)
	}
	names, err := s.db.QueryContext(ctx, `SELECT instance, name FROM player_names WHERE steamid64 = ? ORDER BY first_seen, name`, sid)
	if err != nil {
		return PlayerHistory{}, fmt.Errorf("player %d: names: %w", steamID64, err)
	}
	defer names.Close()
	for names.Next() {
		var inst, name string
		if err := names.Scan(&inst, &name); err != nil {
			return PlayerHistory{}, fmt.Errorf("player %d: names: %w", steamID64, err)
		}
		p := per[inst]
		if p == nil {
			continue
		}
		if !slices.Contains(p.Names, name) {
			p.Names = append(p.Names, name)
		}
		if !slices.Contains(h.Names, name) {
			h.Names = append(h.Names, name)
		}
	}
	if err := names.Err(); err != nil {
		return PlayerHistory{}, fmt.Errorf("player %d: names: %w", steamID64, err)
	}
	for _, p := range per {
		h.Instances = append(h.Instances, *p)
		if h.FirstSeen.IsZero() || p.FirstSeen.Before(h.FirstSeen) {
			h.FirstSeen = p.FirstSeen
		}
		if p.LastSeen.After(h.LastSeen) {
			h.LastSeen = p.LastSeen
		}
		h.Total += p.Total
	}
	sort.Slice(h.Instances, func(i, j int) bool {
		if !h.Instances[i].LastSeen.Equal(h.Instances[j].LastSeen) {
			return h.Instances[i].LastSeen.After(h.Instances[j].LastSeen)
		}
		return h.Instances[i].Instance < h.Instances[j].Instance
	})
	return h, nil
}
