-- External AI tools over MCP: a coach connects a tool (later by OAuth) or creates a personal
-- access token for a script. Either is a connection: read-only, scoped to the coach's workspace,
-- revocable at once. Tokens are stored only as hashes (`digest_hex`), never as themselves.
CREATE TABLE mcp_connections (
    id           TEXT PRIMARY KEY,
    coach_id     TEXT NOT NULL REFERENCES coaches (user_id) ON DELETE CASCADE,
    -- 'token' (a personal access token) or 'oauth' (a connected tool).
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    call_count   BIGINT NOT NULL DEFAULT 0,
    -- When the coach disconnected it: every token of it stops working at once.
    revoked_at   BIGINT
);
CREATE INDEX mcp_connections_coach ON mcp_connections (coach_id, created_at);

CREATE TABLE mcp_tokens (
    -- `digest_hex` of the token.
    hash          TEXT PRIMARY KEY,
    connection_id TEXT NOT NULL REFERENCES mcp_connections (id) ON DELETE CASCADE,
    -- 'personal' (until revoked), 'access' or 'refresh'.
    kind          TEXT NOT NULL,
    -- The MCP endpoint's URL the token was issued for (RFC 8707): checked on every call.
    resource      TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    -- NULL: until the connection is revoked.
    expires_at    BIGINT
);
CREATE INDEX mcp_tokens_connection ON mcp_tokens (connection_id);
