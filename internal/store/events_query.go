package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// EventQuery selects a page of an instance's events: those with an id above
// After and below Before (0: no bound), of the given Kinds (none: all), at
// most Limit (<= 0 or above EventRetention: EventRetention), the newest of
// them.
type EventQuery struct {
	After, Before int64
	Kinds         []string
	Limit         int
}

// QueryEvents returns the page of events q selects, oldest first. The
// instance page's "load older" asks for Before the oldest event it shows;
// its event stream asks for After the newest.
func (s *Store) QueryEvents(ctx context.Context, instance string, q EventQuery) ([]Event, error) {
	if q.Limit <= 0 || q.Limit > EventRetention {
		q.Limit = EventRetention
	}
	where := []string{"instance = ?", "id > ?"}
	args := []any{instance, q.After}
	if q.Before > 0 {
		where = append(where, "id < ?")
		args = append(args, q.Before)
	}
	if len(q.Kinds) > 0 {
		where = append(where, "kind IN (?"+strings.Repeat(", ?", len(q.Kinds)-1)+")")
		for _, k := range q.Kinds {
			args = append(args, k)
		}
	}
	args = append(args, q.Limit)
	rows, err := s.db.QueryContext(ctx, `SELECT id, kind, data, at FROM (
		SELECT id, kind, data, at FROM events WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?
	) ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("query events of %s: %w", instance, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e := Event{Instance: instance}
		var data, at string
		if err := rows.Scan(&e.ID, &e.Kind, &data, &at); err != nil {
			return nil, fmt.Errorf("query events of %s: %w", instance, err)
		}
		var d eventData
		if err := json.Unmarshal([]byte(data), &d); err != nil {
			return nil, fmt.Errorf("query events of %s: event %d: decode data: %w", instance, e.ID, err)
		}
		e.Player, e.SteamID, e.Text, e.Map, e.Team = d.Player, d.SteamID, d.Text, d.Map, d.Team
		e.At = parseTime(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query events of %s: %w", instance, err)
	}
	return out, nil
}
