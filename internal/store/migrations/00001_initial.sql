-- +goose Up
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL
);

-- Server-side sessions; only a hash of the cookie value is stored.
CREATE TABLE sessions (
    id_hash    TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

-- API tokens for automation: shown once, stored hashed, revocable.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   TEXT    NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);

-- Instance records. server.cfg lives in instances/<name>/server.cfg on disk;
-- instance.env is derived from this row when the instance starts.
CREATE TABLE instances (
    name          TEXT    PRIMARY KEY,
    owner_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
    port          INTEGER NOT NULL UNIQUE,
    layers        TEXT    NOT NULL DEFAULT '[]', -- JSON array of layer ids, uppermost first
    args          TEXT    NOT NULL DEFAULT '[]', -- JSON array of extra srcds arguments
    rcon_password TEXT    NOT NULL,
    want_running  INTEGER NOT NULL DEFAULT 0,    -- started at boot when set (docs/lifecycle.md rule 9)
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);

CREATE TABLE instance_shares (
    instance TEXT    NOT NULL REFERENCES instances(name) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (instance, user_id)
);

CREATE TABLE rcon_history (
    id         INTEGER PRIMARY KEY,
    instance   TEXT    NOT NULL REFERENCES instances(name) ON DELETE CASCADE,
    user_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    command    TEXT    NOT NULL,
    response   TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);
CREATE INDEX rcon_history_instance ON rcon_history(instance, id);

-- Game events from the UDP log listener (connects, disconnects, chat, maps).
CREATE TABLE events (
    id       INTEGER PRIMARY KEY,
    instance TEXT    NOT NULL REFERENCES instances(name) ON DELETE CASCADE,
    kind     TEXT    NOT NULL,
    data     TEXT    NOT NULL DEFAULT '{}', -- JSON
    at       TEXT    NOT NULL
);
CREATE INDEX events_instance ON events(instance, id);

-- +goose Down
DROP TABLE events;
DROP TABLE rcon_history;
DROP TABLE instance_shares;
DROP TABLE instances;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
