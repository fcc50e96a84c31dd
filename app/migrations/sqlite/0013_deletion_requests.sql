-- A client's request that their coach delete their data. The message and the coach's reason
-- for declining are sealed with the client's key. Rows go with the client (deleting the client
-- is how a request is fulfilled); the access log keeps the record of the request and outcome.
CREATE TABLE deletion_requests (
    id             TEXT PRIMARY KEY,
    coach_id       TEXT NOT NULL REFERENCES coaches (user_id) ON DELETE CASCADE,
    client_id      TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    message        TEXT NOT NULL,
    -- pending, withdrawn or declined.
    status         TEXT NOT NULL,
    decline_reason TEXT,
    created_at     BIGINT NOT NULL,
    decided_at     BIGINT
);
-- At most one open request per client.
CREATE UNIQUE INDEX deletion_requests_pending ON deletion_requests (client_id)
    WHERE status = 'pending';
CREATE INDEX deletion_requests_workspace ON deletion_requests (coach_id, status, created_at);
CREATE INDEX deletion_requests_client ON deletion_requests (client_id, created_at);
