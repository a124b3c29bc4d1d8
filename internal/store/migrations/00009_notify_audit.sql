-- +goose Up
-- Webhooks (internal/notify): where events are sent, in which format.
-- events is a comma-separated list; empty means every event. secret signs
-- each body (X-Left4me-Signature) and is shown once, when it is made.
CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY,
    url        TEXT    NOT NULL,
    events     TEXT    NOT NULL DEFAULT '',
    format     TEXT    NOT NULL DEFAULT 'json',
    secret     TEXT    NOT NULL,
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT    NOT NULL
);

-- One row per delivery attempt; the newest 50 of each webhook are kept.
CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY,
    webhook_id  INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event       TEXT    NOT NULL,
    instance    TEXT    NOT NULL DEFAULT '',
    attempt     INTEGER NOT NULL,
    status_code INTEGER NOT NULL DEFAULT 0, -- 0: no answer
    error       TEXT    NOT NULL DEFAULT '',
    at          TEXT    NOT NULL
);
CREATE INDEX webhook_deliveries_by_hook ON webhook_deliveries (webhook_id, id);

-- The audit log (internal/audit): who changed what, when, from where, and
-- how it ended. Never a secret: summaries name changed fields only.
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    at       TEXT    NOT NULL,
    actor    TEXT    NOT NULL,            -- user name, "schedule", "watchdog", "cli:UNIXUSER"
    user_id  INTEGER,                     -- the panel account, when a user acted
    token_id INTEGER,                     -- the API token, when one was used
    action   TEXT    NOT NULL,
    target   TEXT    NOT NULL DEFAULT '',
    instance TEXT    NOT NULL DEFAULT '', -- the instance acted on, for owners' views
    summary  TEXT    NOT NULL DEFAULT '',
    address  TEXT    NOT NULL DEFAULT '',
    result   TEXT    NOT NULL DEFAULT ''  -- empty: done; otherwise why it failed
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_instance ON audit_log (instance, id);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
