-- Accounts. Times are milliseconds since the Unix epoch.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('coach', 'client', 'admin')),
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

-- A coach's workspace settings; the workspace id is the coach's user id.
CREATE TABLE coaches (
    user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    brand_name TEXT NOT NULL DEFAULT '',
    units      TEXT NOT NULL DEFAULT 'metric' CHECK (units IN ('metric', 'imperial')),
    timezone   TEXT NOT NULL DEFAULT 'UTC'
);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    user_id    TEXT,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Failed logins, keyed by "ip:<addr>" or "account:<email>", for throttling.
CREATE TABLE login_failures (
    throttle_key TEXT NOT NULL,
    failed_at    BIGINT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (throttle_key, failed_at);
