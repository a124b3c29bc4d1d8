-- +goose Up
-- Live state of background jobs beside river's own tables (river_job and
-- friends are created by river's migrations, run by internal/jobs). One row
-- per river job id: the newest attempt's progress and message, the log of
-- all attempts (capped), and a heartbeat that tells a running attempt from
-- one whose process died.
CREATE TABLE job_progress (
    job_id       INTEGER PRIMARY KEY,
    attempt      INTEGER NOT NULL DEFAULT 0,
    progress     REAL    NOT NULL DEFAULT 0,
    message      TEXT    NOT NULL DEFAULT '',
    log          TEXT    NOT NULL DEFAULT '',
    permanent    INTEGER NOT NULL DEFAULT 0,
    heartbeat_at TEXT,
    updated_at   TEXT    NOT NULL
);

-- +goose Down
DROP TABLE job_progress;
