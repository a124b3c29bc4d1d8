package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// soonRetry is river's scheduler interval: a retry due within it is made
// available at once.
const soonRetry = 5 * time.Second

// progressRow is a job's row in job_progress.
type progressRow struct {
	attempt     int
	progress    float64
	message     string
	log         string
	permanent   bool
	heartbeatAt time.Time
}

func dbTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseDBTime(s sql.NullString) time.Time {
	if !s.Valid {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, s.String)
	return t
}

// beginAttempt resets progress for a new attempt, sets its heartbeat and
// appends header to the log (kept across attempts).
func (m *Manager) beginAttempt(ctx context.Context, id int64, attempt int, header string) error {
	now := dbTime(time.Now())
	_, err := m.db.ExecContext(ctx, `
INSERT INTO job_progress (job_id, attempt, progress, message, log, permanent, heartbeat_at, updated_at)
VALUES (?, ?, 0, '', ?, 0, ?, ?)
ON CONFLICT (job_id) DO UPDATE SET
    attempt = excluded.attempt, progress = 0, message = '', permanent = 0,
    log = substr(job_progress.log || excluded.log, -?),
    heartbeat_at = excluded.heartbeat_at, updated_at = excluded.updated_at`,
		id, attempt, header, now, now, m.cfg.LogCap)
	if err != nil {
		return fmt.Errorf("store progress of job %d: %w", id, err)
	}
	return nil
}

// writeProgress stores an attempt's progress and heartbeat and appends to
// the log, keeping its newest LogCap characters. A row that a newer attempt
// took over is left alone.
func (m *Manager) writeProgress(ctx context.Context, id int64, attempt int, progress float64, message, logText string, permanent bool) error {
	now := dbTime(time.Now())
	_, err := m.db.ExecContext(ctx, `
UPDATE job_progress SET progress = ?, message = ?, log = substr(log || ?, -?),
    permanent = ?, heartbeat_at = ?, updated_at = ?
WHERE job_id = ? AND attempt = ?`,
		progress, message, logText, m.cfg.LogCap, permanent, now, now, id, attempt)
	if err != nil {
		return fmt.Errorf("store progress of job %d: %w", id, err)
	}
	return nil
}

// appendLog appends text to a job's log whatever its attempt.
func (m *Manager) appendLog(ctx context.Context, id int64, text string) error {
	_, err := m.db.ExecContext(ctx, `
UPDATE job_progress SET log = substr(log || ?, -?), updated_at = ? WHERE job_id = ?`,
		text, m.cfg.LogCap, dbTime(time.Now()), id)
	return err
}

// progressOf reads one job's progress row (nil if none), with its log when
// withLog.
func (m *Manager) progressOf(ctx context.Context, id int64, withLog bool) (*progressRow, error) {
	logCol := "''"
	if withLog {
		logCol = "log"
	}
	var p progressRow
	var hb sql.NullString
	err := m.db.QueryRowContext(ctx, `SELECT attempt, progress, message, `+logCol+`, permanent, heartbeat_at
FROM job_progress WHERE job_id = ?`, id).Scan(&p.attempt, &p.progress, &p.message, &p.log, &p.permanent, &hb)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read progress of job %d: %w", id, err)
	}
	p.heartbeatAt = parseDBTime(hb)
	return &p, nil
}

// progressMany reads the progress rows (without logs) of ids.
func (m *Manager) progressMany(ctx context.Context, ids []int64) (map[int64]*progressRow, error) {
	out := make(map[int64]*progressRow, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := m.db.QueryContext(ctx, `SELECT job_id, attempt, progress, message, permanent, heartbeat_at
FROM job_progress WHERE job_id IN (?`+strings.Repeat(",?", len(ids)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read job progress: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var p progressRow
		var hb sql.NullString
		if err := rows.Scan(&id, &p.attempt, &p.progress, &p.message, &p.permanent, &hb); err != nil {
			return nil, fmt.Errorf("read job progress: %w", err)
		}
		p.heartbeatAt = parseDBTime(hb)
		out[id] = &p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read job progress: %w", err)
	}
	return out, nil
}

// deleteProgressOfDeleted drops progress rows whose river job was deleted
// (river's cleaner removes finished jobs after Config.Retention).
func (m *Manager) deleteProgressOfDeleted(ctx context.Context) error {
	_, err := m.db.ExecContext(ctx, `DELETE FROM job_progress WHERE job_id NOT IN (SELECT id FROM river_job)`)
	if err != nil {
		return fmt.Errorf("delete progress of deleted jobs: %w", err)
	}
	return nil
}

// recoverOrphans finds running jobs whose attempt started more than
// OrphanAfter ago and whose heartbeat is older than that (or missing): the
// process running them died. Each is put back to be retried after the
// usual backoff, or failed when its attempts are used up, or cancelled if
// a cancel was asked for. It returns how many it recovered.
//
// NOTE: river's own rescuer only acts after a kind's whole timeout (an
// install may take hours); the heartbeat lets a restarted panel resume
// within OrphanAfter. The update is river's rescue query (JobRescueMany),
// which only touches rows still running and started before the horizon.
func (m *Manager) recoverOrphans(ctx context.Context) (int, error) {
	now := time.Now().UTC()
	horizon := now.Add(-m.cfg.OrphanAfter)
	exec := m.driver.GetExecutor()
	stuck, err := exec.JobGetStuck(ctx, &riverdriver.JobGetStuckParams{Max: 100, StuckHorizon: horizon})
	if err != nil {
		return 0, fmt.Errorf("list running jobs: %w", err)
	}
	if len(stuck) == 0 {
		return 0, nil
	}
	ids := make([]int64, len(stuck))
	for i, j := range stuck {
		ids[i] = j.ID
	}
	ps, err := m.progressMany(ctx, ids)
	if err != nil {
		return 0, err
	}
	params := &riverdriver.JobRescueManyParams{StuckHorizon: horizon}
	type note struct {
		id   int64
		text string
		ev   Event
	}
	var notes []note
	for _, j := range stuck {
		if p := ps[j.ID]; m.isRunningHere(j.ID) || p != nil && p.attempt == j.Attempt && p.heartbeatAt.After(horizon) {
			continue // alive
		}
		var meta struct {
			CancelAttemptedAt time.Time `json:"cancel_attempted_at"`
		}
		_ = json.Unmarshal(j.Metadata, &meta)
		errJSON, err := json.Marshal(rivertype.AttemptError{
			At: now, Attempt: max(j.Attempt, 0),
			Error: "the process running this attempt stopped (no heartbeat)",
		})
		if err != nil {
			return 0, fmt.Errorf("encode job error: %w", err)
		}
		var state rivertype.JobState
		var finalized *time.Time
		scheduled := j.ScheduledAt
		var what string
		switch {
		case !meta.CancelAttemptedAt.IsZero():
			state, finalized, what = rivertype.JobStateCancelled, &now, "cancelled"
		case j.Attempt >= m.maxAttempts(j.Kind, j.MaxAttempts):
			state, finalized, what = rivertype.JobStateDiscarded, &now, "failed: no attempts left"
		default:
			state, what = rivertype.JobStateRetryable, "will be retried"
			delay := (&backoff{base: m.cfg.RetryBase, max: m.cfg.RetryMax}).delay(j.Attempt)
			scheduled = now.Add(delay)
			if delay <= soonRetry {
				// As river does for a retry due soon: available at once
				// rather than waiting for its scheduler's next pass.
				state = rivertype.JobStateAvailable
			}
		}
		params.ID = append(params.ID, j.ID)
		params.Error = append(params.Error, errJSON)
		params.FinalizedAt = append(params.FinalizedAt, finalized)
		params.ScheduledAt = append(params.ScheduledAt, scheduled)
		params.State = append(params.State, string(state))
		ev := Event{JobID: j.ID, Kind: j.Kind, State: StateRetrying}
		if state == rivertype.JobStateCancelled {
			ev.State = StateCancelled
		} else if state == rivertype.JobStateDiscarded {
			ev.State = StateFailed
		}
		notes = append(notes, note{j.ID, fmt.Sprintf("--- attempt %d lost: the process running it stopped; %s ---\n", j.Attempt, what), ev})
	}
	if len(params.ID) == 0 {
		return 0, nil
	}
	if _, err := exec.JobRescueMany(ctx, params); err != nil {
		return 0, fmt.Errorf("recover jobs %v: %w", params.ID, err)
	}
	for _, n := range notes {
		if err := m.appendLog(ctx, n.id, n.text); err != nil {
			m.log.Warn("append to job log", "job", n.id, "err", err)
		}
		m.publish(n.ev)
	}
	return len(params.ID), nil
}
