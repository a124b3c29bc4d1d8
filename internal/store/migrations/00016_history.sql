-- +goose Up
-- History (internal/history, docs/operations.md "History and metrics"): one
-- row per instance per sample (every 30 s), merged into 5-minute rows after
-- 48 hours and deleted after 30 days. span is the seconds a row covers (30
-- or 300). Times are Unix seconds, not RFC 3339 text as elsewhere: the
-- table is the largest in the database and integers keep it small.
-- humans and bots are the most seen in the span; cpu_milli (thousandths of
-- a core, -1 unknown) and mem_bytes (-1 unknown) the mean; state and map the
-- last seen.
CREATE TABLE instance_samples (
    instance   TEXT    NOT NULL REFERENCES instances(name) ON DELETE CASCADE ON UPDATE CASCADE,
    at         INTEGER NOT NULL,
    span       INTEGER NOT NULL,
    state      TEXT    NOT NULL,
    map        TEXT    NOT NULL DEFAULT '',
    humans     INTEGER NOT NULL DEFAULT 0,
    bots       INTEGER NOT NULL DEFAULT 0,
    cpu_milli  INTEGER NOT NULL DEFAULT -1,
    mem_bytes  INTEGER NOT NULL DEFAULT -1,
    PRIMARY KEY (instance, at)
) WITHOUT ROWID;

-- The host at the same moments: players and running servers across all
-- instances, their summed CPU and memory, the load average (hundredths)
-- and the host's memory in use and total (-1 unknown).
CREATE TABLE host_samples (
    at          INTEGER PRIMARY KEY,
    span        INTEGER NOT NULL,
    humans      INTEGER NOT NULL DEFAULT 0,
    bots        INTEGER NOT NULL DEFAULT 0,
    running     INTEGER NOT NULL DEFAULT 0,
    cpu_milli   INTEGER NOT NULL DEFAULT -1,
    mem_bytes   INTEGER NOT NULL DEFAULT -1,
    load_centi  INTEGER NOT NULL DEFAULT -1,
    host_used   INTEGER NOT NULL DEFAULT -1,
    host_total  INTEGER NOT NULL DEFAULT -1
);

-- +goose Down
DROP TABLE host_samples;
DROP TABLE instance_samples;
