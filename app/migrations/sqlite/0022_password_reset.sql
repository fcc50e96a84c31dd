-- Password reset links go in email_links beside sign-up and email-change links: single-use,
-- stored as a hash, and for one account. SQLite cannot change a CHECK, so the table is made
-- again with the wider one (it holds at most a day's links).
CREATE TABLE email_links_next (
    token_hash    TEXT PRIMARY KEY,
    purpose       TEXT NOT NULL CHECK (purpose IN ('signup', 'email_change', 'password_reset')),
    email         TEXT NOT NULL,
    user_id       TEXT REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER
);
INSERT INTO email_links_next
    SELECT token_hash, purpose, email, user_id, name, created_at, expires_at, used_at FROM email_links;
DROP TABLE email_links;
ALTER TABLE email_links_next RENAME TO email_links;
CREATE INDEX email_links_expiry ON email_links (expires_at);
CREATE INDEX email_links_user ON email_links (user_id);
