-- The access log: append-only, one hash chain for the deployment. Each entry's hash covers its
-- own fields and the previous entry's hash, so `coachroom audit verify` finds any entry edited,
-- removed or moved. Entries name ids and kinds of action, never content, and have no foreign
-- keys: the record of an access outlives what was accessed (a deleted client's entries stay,
-- naming an id whose data is gone).
CREATE TABLE access_log (
    seq        BIGINT PRIMARY KEY CHECK (seq > 0),
    at         BIGINT NOT NULL,
    -- The workspace whose data was touched (NULL for platform events such as an operator's
    -- sign-in), and the client, when one client's data was.
    coach_id   TEXT,
    client_id  TEXT,
    -- coach, client, support, operator, legal, ai or mcp; and who (a user id), if anyone.
    actor_kind TEXT NOT NULL,
    actor_id   TEXT,
    action     TEXT NOT NULL,
    -- What was touched, as kind:id (e.g. checkin:3f...), when one thing was.
    object     TEXT,
    -- The grant or legal request it happened under.
    basis      TEXT,
    -- A short, content-free detail (e.g. the AI model).
    detail     TEXT,
    -- 1 for what the client sees in their own log: access by support, operators, legal, AI,
    -- MCP, and exports. A coach reading their own workspace is routine and not logged at all.
    notable    BIGINT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX access_log_workspace ON access_log (coach_id, seq);
CREATE INDEX access_log_client ON access_log (client_id, notable, seq);

-- The chain's head: the last entry's number and hash. Appending takes this row's lock (an
-- UPDATE), so appends from every app server queue in one order; verify checks the head too,
-- which catches removing the newest entries.
CREATE TABLE access_log_head (
    id   BIGINT PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO access_log_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
