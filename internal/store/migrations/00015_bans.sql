-- +goose Up
-- Player bans (internal/bans). steam_id is normalised to STEAM_1:Y:Z.
-- A global ban applies to every instance, present and future; any other
-- applies to the instances listed in ban_instances (those its author could
-- ban on when it was made). expires_at is unix seconds, NULL: permanent.
CREATE TABLE bans (
    id         INTEGER PRIMARY KEY,
    steam_id   TEXT    NOT NULL,
    reason     TEXT    NOT NULL DEFAULT '',
    by_user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    by_name    TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    expires_at INTEGER,
    global     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX bans_by_steam_id ON bans (steam_id);
CREATE INDEX bans_by_expiry ON bans (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE ban_instances (
    ban_id   INTEGER NOT NULL REFERENCES bans(id) ON DELETE CASCADE,
    instance TEXT    NOT NULL REFERENCES instances(name) ON DELETE CASCADE,
    PRIMARY KEY (ban_id, instance)
);
CREATE INDEX ban_instances_by_instance ON ban_instances (instance);

-- +goose Down
DROP TABLE ban_instances;
DROP TABLE bans;
