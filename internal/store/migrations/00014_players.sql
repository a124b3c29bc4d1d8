-- +goose Up
-- Player history (store/players.go): one row per time a player was on an
-- instance, opened when the log says they connected (or first says
-- anything), closed when it says they disconnected. A session still open
-- when the player shows up again (the server stopped meanwhile) ends at
-- its last_seen. Kept with the instance, unlike the events, which keep
-- only the newest store.EventRetention.
CREATE TABLE player_sessions (
    id         INTEGER PRIMARY KEY,
    steamid64  INTEGER NOT NULL,
    steamid    TEXT    NOT NULL,
    instance   TEXT    NOT NULL REFERENCES instances(name) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    started_at TEXT    NOT NULL,
    last_seen  TEXT    NOT NULL,
    ended_at   TEXT
);
CREATE INDEX player_sessions_player ON player_sessions(steamid64, instance, id);
CREATE INDEX player_sessions_open ON player_sessions(instance, steamid64) WHERE ended_at IS NULL;

-- Every name a player used on an instance.
CREATE TABLE player_names (
    steamid64  INTEGER NOT NULL,
    instance   TEXT    NOT NULL REFERENCES instances(name) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    first_seen TEXT    NOT NULL,
    last_seen  TEXT    NOT NULL,
    PRIMARY KEY (steamid64, instance, name)
);

-- +goose Down
DROP TABLE player_names;
DROP TABLE player_sessions;
