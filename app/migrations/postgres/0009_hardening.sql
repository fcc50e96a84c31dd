-- Throttling counts attempts in fixed windows, one row per bucket, incremented atomically
-- (INSERT ... ON CONFLICT ... RETURNING) before any expensive work, so parallel attempts cannot
-- all pass the check. Keys are hashes: no email or IP is kept here in the clear.
DROP TABLE login_failures;
CREATE TABLE throttle_buckets (
    throttle_key TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL
);
CREATE INDEX throttle_buckets_window ON throttle_buckets (window_start);

-- Session ids are stored only as hashes; created_at gives sessions an absolute lifetime.
DELETE FROM sessions;
ALTER TABLE sessions ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;

-- When each coach's AI job was last taken, so workers serve coaches in turn (round robin):
-- one coach's long queue cannot hold back everyone else's.
CREATE TABLE ai_coach_turns (
    coach_id        TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    last_claimed_at BIGINT NOT NULL
);
