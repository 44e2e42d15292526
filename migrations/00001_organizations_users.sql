-- Tenants, the people who sign in, and which organization each belongs to.
-- Timestamps are UTC text in RFC 3339 with milliseconds, so they sort as strings.

-- +goose Up
CREATE TABLE organizations (
    org_id     INTEGER PRIMARY KEY,
    name       TEXT NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 200),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE users (
    user_id           INTEGER PRIMARY KEY,
    email             TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash     TEXT NOT NULL,
    is_instance_owner INTEGER NOT NULL DEFAULT 0 CHECK (is_instance_owner IN (0, 1)),
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE memberships (
    org_id     INTEGER NOT NULL REFERENCES organizations (org_id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

-- +goose Down
DROP TABLE memberships;
DROP TABLE users;
DROP TABLE organizations;
