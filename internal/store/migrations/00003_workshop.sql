-- +goose Up
-- Steam Workshop items known to left4me: what the Web API last said about
-- them and which revision (time_updated) is downloaded under
-- workshop/<id>/<revision>/.
CREATE TABLE workshop_items (
    id           INTEGER PRIMARY KEY,            -- publishedfileid
    title        TEXT    NOT NULL DEFAULT '',
    filename     TEXT    NOT NULL DEFAULT '',
    file_url     TEXT    NOT NULL DEFAULT '',
    file_size    INTEGER NOT NULL DEFAULT 0,
    time_updated INTEGER NOT NULL DEFAULT 0,     -- Unix seconds, from Steam
    preview_url  TEXT    NOT NULL DEFAULT '',
    result       INTEGER NOT NULL DEFAULT 1,     -- Steam's result code (1 = OK)
    removed      INTEGER NOT NULL DEFAULT 0,     -- result != 1
    banned       INTEGER NOT NULL DEFAULT 0,
    ban_reason   TEXT    NOT NULL DEFAULT '',
    revision     TEXT    NOT NULL DEFAULT '',    -- downloaded revision ('' = none yet)
    vpk_size     INTEGER NOT NULL DEFAULT 0,     -- size of the downloaded file
    addon        TEXT    NOT NULL DEFAULT '{}',  -- JSON: what the VPK says (title, maps, campaigns, ...)
    error        TEXT    NOT NULL DEFAULT '',    -- last problem (corrupt VPK, download failure); '' = none
    checked_at   TEXT,                           -- last time the Web API was asked
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
);

-- A workshop layer publishes its items as overlays/<id>/<generation>/. Its
-- id is also a row of kind 'workshop' in layers (00004_content.sql), which
-- reserves the id among all content layers; deleting that row deletes this.
CREATE TABLE workshop_layers (
    id           TEXT    PRIMARY KEY REFERENCES layers(id) ON DELETE CASCADE,
    generation   TEXT    NOT NULL DEFAULT '',    -- newest published generation ('' = none)
    content      TEXT    NOT NULL DEFAULT '[]',  -- JSON: [{"id":..,"revision":..}] in that generation
    published_at TEXT,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
);

CREATE TABLE workshop_layer_items (
    layer    TEXT    NOT NULL REFERENCES workshop_layers(id) ON DELETE CASCADE,
    item     INTEGER NOT NULL REFERENCES workshop_items(id) ON DELETE RESTRICT,
    position INTEGER NOT NULL,
    PRIMARY KEY (layer, item)
);
CREATE INDEX workshop_layer_items_item ON workshop_layer_items(item);

-- +goose Down
DROP TABLE workshop_layer_items;
DROP TABLE workshop_layers;
DROP TABLE workshop_items;
