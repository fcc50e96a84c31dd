-- Operators (role 'admin'): made only by `coachroom admin add`, signed in with a password and a
-- TOTP code. The TOTP secret is sealed with the operator's own data key (a data_keys row owned
-- by the operator's user id), so a copy of the database alone cannot mint codes.
CREATE TABLE operator_accounts (
    user_id          TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    totp_secret      TEXT NOT NULL,
    -- The 30-second step of the last code accepted: a code is good once, and never after a
    -- later one.
    totp_last_step   BIGINT NOT NULL DEFAULT 0,
    -- The one-time setup link (a hash of its token), until the operator chooses a password
    -- and proves the authenticator with a first code. NULL once set up.
    setup_token_hash TEXT UNIQUE,
    setup_expires_at BIGINT,
    created_at       BIGINT NOT NULL
);

-- A suspended coach cannot sign in and has no live session. Their clients keep the portal (their
-- own data, their export and deletion rights).
ALTER TABLE users ADD COLUMN suspended_at BIGINT;
