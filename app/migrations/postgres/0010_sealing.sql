-- Data keys: one per client (all their data) and one per workspace (the coach's own general
-- content), each stored only wrapped by the master key (master_key_id names which). Deleting a
-- client deletes their key by cascade, so whatever of theirs survives anywhere stays sealed.
-- Backups leave this table out (see ARCHITECTURE.md).
CREATE TABLE data_keys (
    owner_id      TEXT PRIMARY KEY,
    coach_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id     TEXT UNIQUE REFERENCES clients (id) ON DELETE CASCADE,
    master_key_id TEXT NOT NULL,
    wrapped       TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX data_keys_master ON data_keys (master_key_id);

-- Sensitive numbers cannot be sealed in a REAL column: they move, sealed as JSON, into TEXT
-- columns, and the REAL columns stay NULL. Sensitive text is sealed in its own column.
ALTER TABLE clients ADD COLUMN sealed_profile TEXT;
ALTER TABLE checkins ADD COLUMN sealed_values TEXT;
ALTER TABLE goals ADD COLUMN sealed_values TEXT;
