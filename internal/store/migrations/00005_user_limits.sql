-- +goose Up
-- Per-account limits set by administrators (docs/operations.md, "Account
-- limits"): NULL is the default of the account's role, -1 is no limit.
ALTER TABLE users ADD COLUMN max_instances INTEGER;
ALTER TABLE users ADD COLUMN max_running   INTEGER;

-- +goose Down
ALTER TABLE users DROP COLUMN max_running;
ALTER TABLE users DROP COLUMN max_instances;
