-- +goose Up
-- Content layers (overlays/<id>/<generation>/ on disk). A script layer's
-- bash script lives here and is editable; uploaded layers keep only their
-- metadata (the files are the generations on disk).
CREATE TABLE layers (
    id          TEXT    PRIMARY KEY,
    kind        TEXT    NOT NULL CHECK (kind IN ('script', 'upload', 'workshop')),
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    script      TEXT    NOT NULL DEFAULT '',
    -- 1: a build starts from a copy of the newest generation (map syncs).
    incremental INTEGER NOT NULL DEFAULT 0,
    -- where a seeded layer came from (the example file's name), else ''.
    source      TEXT    NOT NULL DEFAULT '',
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);

-- Builds of layers and installations: what ran, how it ended, which
-- generation it published. The full output is in builds/<id>/build.log.
CREATE TABLE content_builds (
    id          TEXT    PRIMARY KEY,
    layer_id    TEXT    REFERENCES layers(id) ON DELETE CASCADE, -- NULL for installs
    kind        TEXT    NOT NULL CHECK (kind IN ('install', 'script', 'upload', 'workshop')),
    status      TEXT    NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    generation  TEXT    NOT NULL DEFAULT '',
    error       TEXT    NOT NULL DEFAULT '',
    user_id     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    started_at  TEXT    NOT NULL,
    finished_at TEXT
);
CREATE INDEX content_builds_layer ON content_builds(layer_id, started_at);

-- +goose Down
DROP TABLE content_builds;
DROP TABLE layers;
