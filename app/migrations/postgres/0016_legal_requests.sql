-- Access for legal reasons. An operator records a request (reason and reference sealed with the
-- workspace key; scope: one client or the whole workspace); a second operator approves it; only
-- then may its data be exported, until access_until. The coach is told from notify_at (the
-- approval, or the request's "notify after" date if later); until then the request and every
-- access-log entry naming it (basis legal_request:<id>) are hidden from the coach and the client.
-- The request outlives the client it concerns (the coach deleting them), for the record.
CREATE TABLE legal_requests (
    id           TEXT PRIMARY KEY,
    coach_id     TEXT NOT NULL REFERENCES coaches (user_id) ON DELETE CASCADE,
    scope        TEXT NOT NULL CHECK (scope IN ('client', 'workspace')),
    -- The one client of a 'client' request. Not a foreign key: deleting the client must not
    -- delete the record of the request (nor unhide its log entries); the id then finds nothing.
    client_id    TEXT,
    reason       TEXT NOT NULL,
    reference    TEXT NOT NULL,
    requested_by TEXT NOT NULL REFERENCES users (id),
    requested_at BIGINT NOT NULL,
    notify_after BIGINT,
    approved_by  TEXT REFERENCES users (id),
    approved_at  BIGINT,
    notify_at    BIGINT,
    access_until BIGINT,
    -- When the coach's email was claimed for sending (or, without SMTP, when it came due).
    notified_at  BIGINT,
    -- Failed sends so far; the notifier gives up after a few (the dashboard still tells).
    notify_attempts INTEGER NOT NULL DEFAULT 0,
    -- The two-person rule, in the schema too.
    CHECK (approved_by IS NULL OR approved_by <> requested_by)
);
CREATE INDEX legal_requests_coach ON legal_requests (coach_id, notify_at);
CREATE INDEX legal_requests_due ON legal_requests (notified_at, notify_at);
