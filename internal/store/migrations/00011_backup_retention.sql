-- +goose Up
-- How many scheduled backups of an instance are kept (internal/backup):
-- the newest of each of the last keep_daily days and keep_weekly weeks.
-- An instance without a row keeps backup.DefaultRetention.
CREATE TABLE backup_retention (
    instance    TEXT    PRIMARY KEY REFERENCES instances(name) ON DELETE CASCADE,
    keep_daily  INTEGER NOT NULL,
    keep_weekly INTEGER NOT NULL
);

-- +goose Down
DROP TABLE backup_retention;
