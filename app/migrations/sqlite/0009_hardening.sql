-- Throttling counts attempts in fixed windows, one row per bucket, incremented atomically
-- (INSERT ... ON CONFLICT ... RETURNING) before any expensive work, so parallel attempts cannot
-- all pass the check. Keys are hashes: no email or IP is kept here in the clear.
DROP TABLE login_failures;
CREATE TABLE throttle_buckets (
    throttle_key TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    hits         INTEGER NOT NULL
);
CREATE INDEX throttle_buckets_window ON throttle_buckets (window_start);

-- Session ids are stored only as hashes; created_at gives sessions an absolute lifetime.
DELETE FROM sessions;
ALTER TABLE sessions ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;

-- When each coach's AI job was last taken, so workers serve coaches in turn (round robin):
-- one coach's long queue cannot hold back everyone else's.
CREATE TABLE ai_coach_turns (
    coach_id        TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    last_claimed_at INTEGER NOT NULL
);

-- Links sent by email to prove an address: finishing a sign-up, confirming a new login email.
-- Only a hash of each token is kept. Answers never depend on whether an address is in use: the
-- difference goes only to the address itself, by email.
CREATE TABLE email_links (
    token_hash    TEXT PRIMARY KEY,
    purpose       TEXT NOT NULL CHECK (purpose IN ('signup', 'email_change')),
    email         TEXT NOT NULL,
    user_id       TEXT REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER
);
CREATE INDEX email_links_expiry ON email_links (expires_at);

-- Each workspace's AI calls in its current 24-hour window. A call is reserved here (one atomic
-- upsert) before it is sent, so parallel requests cannot all slip under the daily budget.
CREATE TABLE ai_budget (
    coach_id     TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    window_start INTEGER NOT NULL,
    calls        INTEGER NOT NULL
);
