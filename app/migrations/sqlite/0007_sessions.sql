-- Coaching sessions. The transcript (parsed speaker turns, JSON) and the private notes are the
-- coach's alone; the summary reaches the client only once `summary_shared` is 1.
CREATE TABLE coaching_sessions (
    id             TEXT PRIMARY KEY,
    coach_id       TEXT NOT NULL REFERENCES coaches (user_id) ON DELETE CASCADE,
    client_id      TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    held_at        BIGINT NOT NULL,
    duration_min   BIGINT NOT NULL,
    title          TEXT NOT NULL,
    tags           TEXT NOT NULL,
    transcript     TEXT,
    private_notes  TEXT NOT NULL,
    summary        TEXT NOT NULL,
    summary_shared BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX coaching_sessions_client ON coaching_sessions (client_id, held_at);

-- Action items from a session, for the client or the coach. The client sees only shared ones,
-- and may mark those done.
CREATE TABLE action_items (
    id         TEXT PRIMARY KEY,
    coach_id   TEXT NOT NULL REFERENCES coaches (user_id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    session_id TEXT NOT NULL REFERENCES coaching_sessions (id) ON DELETE CASCADE,
    owner      TEXT NOT NULL CHECK (owner IN ('client', 'coach')),
    body       TEXT NOT NULL,
    due_date   TEXT,
    shared     BIGINT NOT NULL DEFAULT 0,
    done_at    BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX action_items_session ON action_items (session_id, created_at);
CREATE INDEX action_items_client ON action_items (client_id, shared);
