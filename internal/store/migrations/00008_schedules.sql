-- +goose Up
-- Per-instance schedules (internal/schedule): what to do, when, and how to
-- treat the players. last_slot is the newest slot handed to the job queue,
-- so that a slot is never considered twice; the queue's unique key per
-- schedule and slot is what makes two schedulers agree.
CREATE TABLE schedules (
    id              INTEGER PRIMARY KEY,
    instance        TEXT    NOT NULL REFERENCES instances(name) ON DELETE CASCADE,
    action          TEXT    NOT NULL,             -- restart, stop, start, update, rcon
    command         TEXT    NOT NULL DEFAULT '',  -- the console command of an rcon action
    when_kind       TEXT    NOT NULL,             -- daily, weekly, cron
    when_spec       TEXT    NOT NULL,             -- "04:00", "sun 04:00", a cron expression
    policy          TEXT    NOT NULL,             -- now, when-empty, warn
    max_wait_s      INTEGER NOT NULL DEFAULT 0,   -- when-empty: how long to wait for the server to empty
    on_timeout      TEXT    NOT NULL DEFAULT '',  -- when-empty: run or skip once max-wait has passed
    secrets_ok      INTEGER NOT NULL DEFAULT 0,   -- its creator may set secret cvars (rcon policy)
    created_by      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at      TEXT    NOT NULL,
    last_slot       TEXT    NOT NULL DEFAULT ''   -- RFC 3339 UTC; '' before the first
);
CREATE INDEX schedules_instance ON schedules(instance, id);

-- +goose Down
DROP TABLE schedules;
