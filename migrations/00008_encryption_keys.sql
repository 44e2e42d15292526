-- Key versions: what Lore needs to re-derive each key from ENCRYPTION_KEY and
-- to recognise it, never the key itself. Every encrypted row names its version
-- (installations.encryption_version); exactly one version is active for new
-- encryptions.

-- +goose Up
CREATE TABLE encryption_keys (
    version     INTEGER PRIMARY KEY CHECK (version >= 1),
    -- HMAC-SHA256(key, label), truncated: tells a wrong key from a right one
    fingerprint TEXT NOT NULL CHECK (length(fingerprint) = 32),
    -- 'fernet': ENCRYPTION_KEY is the key; 'pbkdf2-sha256': a passphrase stretched with salt and iterations
    kdf         TEXT NOT NULL CHECK (kdf IN ('fernet', 'pbkdf2-sha256')),
    salt        BLOB,
    iterations  INTEGER,
    active      INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK ((kdf = 'fernet' AND salt IS NULL AND iterations IS NULL) OR
           (kdf = 'pbkdf2-sha256' AND coalesce(length(salt), 0) > 0 AND coalesce(iterations, 0) >= 1))
);
CREATE UNIQUE INDEX encryption_keys_one_active ON encryption_keys (active) WHERE active = 1;

-- +goose Down
DROP TABLE encryption_keys;
