package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// EventRetention is how many events are kept per instance; older ones are
// deleted as new ones arrive.
const EventRetention = 1000

// Event is one entry of an instance's game-event feed (see internal/events
// for the kinds). Player, SteamID, Text and Map are kept in the row's JSON
// data column; empty ones are omitted.
type Event struct {
	ID       int64
	Instance string
	Kind     string
	Player   string
	SteamID  string
	Text     string
	Map      string
	// Team is the player's team as the log line names it ("Survivor",
	// "Infected", …); empty when it names none.
	Team string
	// SteamID64 is the player's 64-bit SteamID (0: none, or a bot); it
	// keys the player history (players.go) and is not kept in the event.
	SteamID64 uint64
	At        time.Time
}

type eventData struct {
	Player  string `json:"player,omitempty"`
	SteamID string `json:"steamid,omitempty"`
	Text    string `json:"text,omitempty"`
	Map     string `json:"map,omitempty"`
	Team    string `json:"team,omitempty"`
}

// AddEvent stores e (its ID is ignored; a zero At means now) and returns it
// with its id. Events beyond EventRetention for the instance are dropped,
// oldest first.
func (s *Store) AddEvent(ctx context.Context, e Event) (Event, error) {
	if e.Instance == "" || e.Kind == "" {
		return Event{}, fmt.Errorf("add event: instance and kind are required")
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.At = e.At.UTC()
	data, err := json.Marshal(eventData{Player: e.Player, SteamID: e.SteamID, Text: e.Text, Map: e.Map, Team: e.Team})
	if err != nil {
		return Event{}, fmt.Errorf("add event for %s: encode: %w", e.Instance, err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Event{}, fmt.Errorf("add event for %s: %w", e.Instance, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO events (instance, kind, data, at) VALUES (?, ?, ?, ?)`,
		e.Instance, e.Kind, string(data), e.At.Format(time.RFC3339Nano))
	if err != nil {
		if violatesForeignKey(err) {
			return Event{}, fmt.Errorf("add event for %s: instance %w", e.Instance, ErrNotFound)
		}
		return Event{}, fmt.Errorf("add event for %s: %w", e.Instance, err)
	}
	if e.ID, err = res.LastInsertId(); err != nil {
		return Event{}, fmt.Errorf("add event for %s: %w", e.Instance, err)
	}
	if err := trackPlayer(ctx, tx, e); err != nil {
		return Event{}, fmt.Errorf("add event for %s: %w", e.Instance, err)
	}
	// The cut-off is the id of the newest event that falls outside the
	// retention window; with the (instance, id) index this is a short scan.
	if _, err := tx.ExecContext(ctx, `DELETE FROM events WHERE instance = ?1 AND id <= (
		SELECT id FROM events WHERE instance = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)`,
		e.Instance, EventRetention); err != nil {
		return Event{}, fmt.Errorf("add event for %s: trim old events: %w", e.Instance, err)
	}
	if err := tx.Commit(); err != nil {
		return Event{}, fmt.Errorf("add event for %s: %w", e.Instance, err)
	}
	s.eventsStored(e.Instance)
	return e, nil
}

// ListEvents returns the newest events of an instance with an id above
// afterID (0 for all), at most limit of them (limit <= 0 means
// EventRetention), oldest first: QueryEvents with only those bounds.
func (s *Store) ListEvents(ctx context.Context, instance string, afterID int64, limit int) ([]Event, error) {
	return s.QueryEvents(ctx, instance, EventQuery{After: afterID, Limit: limit})
}

// violatesForeignKey reports whether err is SQLite refusing a row whose
// reference (instance, user) does not exist.
func violatesForeignKey(err error) bool {
	return err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
}
