-- +goose Up
-- The watchdog (internal/watchdog, docs/operations.md "The watchdog"): on by
-- default per instance; unhealthy_at and unhealthy_reason mark a server the
-- watchdog found frozen but no longer restarts (NULL: healthy), and
-- watchdog_restarts counts its restarts for the hourly limit.
ALTER TABLE instances ADD COLUMN watchdog         INTEGER NOT NULL DEFAULT 1;
ALTER TABLE instances ADD COLUMN unhealthy_at     TEXT;
ALTER TABLE instances ADD COLUMN unhealthy_reason TEXT NOT NULL DEFAULT '';

CREATE TABLE watchdog_restarts (
    id       INTEGER PRIMARY KEY,
    instance TEXT    NOT NULL REFERENCES instances(name) ON DELETE CASCADE,
    at       TEXT    NOT NULL
);
CREATE INDEX watchdog_restarts_instance ON watchdog_restarts(instance, at);

-- +goose Down
DROP TABLE watchdog_restarts;
ALTER TABLE instances DROP COLUMN unhealthy_reason;
ALTER TABLE instances DROP COLUMN unhealthy_at;
ALTER TABLE instances DROP COLUMN watchdog;
