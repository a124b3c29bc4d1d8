package jobs

import (
	"context"
	"fmt"
)

// Count is how many jobs of one kind are in one state.
type Count struct {
	Kind  string
	State State
	N     int
}

// Counts returns how many jobs there are of each kind in each state, as
// List would show them (toJob's mapping of river's states), for the
// panel's metrics. Kinds and states without jobs are absent.
func (m *Manager) Counts(ctx context.Context) ([]Count, error) {
	rows, err := m.db.QueryContext(ctx, `
SELECT j.kind, j.state, j.attempt > 0, COALESCE(p.permanent, 0), COUNT(*)
FROM river_job j LEFT JOIN job_progress p ON p.job_id = j.id
GROUP BY 1, 2, 3, 4`)
	if err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	defer rows.Close()
	sums := map[[2]string]int{}
	var order [][2]string
	for rows.Next() {
		var kind, state string
		var attempted, permanent bool
		var n int
		if err := rows.Scan(&kind, &state, &attempted, &permanent, &n); err != nil {
			return nil, fmt.Errorf("count jobs: %w", err)
		}
		key := [2]string{kind, string(stateOfRiver(state, attempted, permanent))}
		if _, ok := sums[key]; !ok {
			order = append(order, key)
		}
		sums[key] += n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	out := make([]Count, 0, len(order))
	for _, k := range order {
		out = append(out, Count{Kind: k[0], State: State(k[1]), N: sums[k]})
	}
	return out, nil
}

// stateOfRiver is toJob's mapping of a river state name.
func stateOfRiver(state string, attempted, permanent bool) State {
	switch state {
	case "available", "pending", "scheduled":
		if attempted {
			return StateRetrying
		}
		return StateQueued
	case "running":
		return StateRunning
	case "retryable":
		return StateRetrying
	case "completed":
		return StateSucceeded
	case "cancelled":
		if permanent {
			return StateFailed
		}
		return StateCancelled
	}
	return StateFailed
}
