-- OAuth 2.1 for connected AI tools (ChatGPT, Claude): the authorization server that issues the
-- tokens `/mcp` takes. Every client is public (PKCE, no secret).

-- Clients registered by dynamic client registration (RFC 7591). A client that names itself by
-- the URL of its metadata document is not stored: the document is fetched when needed.
-- A registration no connection came from is swept after a day.
CREATE TABLE oauth_clients (
    -- `mcpc_` and 32 hex digits.
    id            TEXT PRIMARY KEY,
    -- The name it gave, shown on the consent page as the tool's own words.
    name          TEXT NOT NULL,
    -- JSON array of redirect URIs, matched exactly.
    redirect_uris TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX oauth_clients_created ON oauth_clients (created_at);

-- Authorization codes a coach approved on the consent page: single use, minutes long. A code
-- presented again revokes the connection it made.
CREATE TABLE oauth_codes (
    -- `digest_hex` of the code.
    hash           TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL,
    client_name    TEXT NOT NULL,
    coach_id       TEXT NOT NULL REFERENCES coaches (user_id) ON DELETE CASCADE,
    redirect_uri   TEXT NOT NULL,
    -- PKCE S256: base64url(SHA-256(verifier)).
    code_challenge TEXT NOT NULL,
    -- The MCP endpoint's URL the tokens will be bound to (RFC 8707).
    resource       TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    -- Set when exchanged: a second exchange is refused and revokes this connection.
    used_at        BIGINT,
    connection_id  TEXT
);
CREATE INDEX oauth_codes_expires ON oauth_codes (expires_at);

-- The OAuth client a connection belongs to: a refresh must come from the same client.
ALTER TABLE mcp_connections ADD COLUMN client_id TEXT;
-- When a refresh token was exchanged (rotation): presented again, it revokes its connection.
ALTER TABLE mcp_tokens ADD COLUMN used_at BIGINT;
CREATE INDEX mcp_tokens_expires ON mcp_tokens (expires_at);
