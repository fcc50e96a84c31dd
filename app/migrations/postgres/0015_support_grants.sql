-- Support access by the coach's grant: while a grant is open (not ended, not expired), an
-- operator may open the coach's workspace read-only. The coach's message to support is sealed
-- with the workspace key. Every request under a grant is in the access log, naming the grant.
CREATE TABLE support_grants (
    id         TEXT PRIMARY KEY,
    coach_id   TEXT NOT NULL REFERENCES coaches (user_id) ON DELETE CASCADE,
    message    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- When the coach revoked it (or replaced it with a new grant).
    ended_at   BIGINT
);
CREATE INDEX support_grants_coach ON support_grants (coach_id, expires_at);
CREATE INDEX support_grants_open ON support_grants (expires_at);
