-- +goose Up
-- Roles per instance share (docs/operations.md, "Sharing and roles"):
-- viewer, operator or admin. Existing shares could run, configure and use
-- the RCON console of the instance, which is the admin role: they keep it.
ALTER TABLE instance_shares ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'
    CHECK (role IN ('viewer', 'operator', 'admin'));

-- The account permission "may create instances" (administrators always
-- may). New accounts start without it; every account that exists now
-- could create instances and keeps that ability.
ALTER TABLE users ADD COLUMN may_create INTEGER NOT NULL DEFAULT 0;
UPDATE users SET may_create = 1;

-- +goose Down
ALTER TABLE users DROP COLUMN may_create;
ALTER TABLE instance_shares DROP COLUMN role;
