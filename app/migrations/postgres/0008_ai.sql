-- AI: per-client opt-out, session insights (the coach's draft until applied), the
-- generation queue, and the record of every AI call. (Session audio is transcribed, never kept.)
ALTER TABLE clients ADD COLUMN ai_enabled BIGINT NOT NULL DEFAULT 1;

ALTER TABLE coaching_sessions ADD COLUMN insights TEXT;
ALTER TABLE coaching_sessions ADD COLUMN insights_applied_at BIGINT;

-- One insights job per session. A worker leases a job; a lease that runs out (a server that
-- died mid-job) lets another worker take it, so jobs survive restarts.
CREATE TABLE ai_jobs (
    session_id  TEXT PRIMARY KEY REFERENCES coaching_sessions (id) ON DELETE CASCADE,
    coach_id    TEXT NOT NULL REFERENCES coaches (user_id) ON DELETE CASCADE,
    status      TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    steps_done  BIGINT NOT NULL DEFAULT 0,
    steps_total BIGINT NOT NULL DEFAULT 0,
    attempts    BIGINT NOT NULL DEFAULT 0,
    error       TEXT,
    lease_until BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX ai_jobs_status ON ai_jobs (status, updated_at);

-- Who asked the AI about whom, with which model and how many tokens. Never the content.
CREATE TABLE ai_calls (
    id                TEXT PRIMARY KEY,
    coach_id          TEXT NOT NULL REFERENCES coaches (user_id) ON DELETE CASCADE,
    client_id         TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    purpose           TEXT NOT NULL,
    model             TEXT NOT NULL,
    prompt_tokens     BIGINT NOT NULL DEFAULT 0,
    completion_tokens BIGINT NOT NULL DEFAULT 0,
    error             TEXT,
    created_at        BIGINT NOT NULL
);
CREATE INDEX ai_calls_coach ON ai_calls (coach_id, created_at);
CREATE INDEX ai_calls_client ON ai_calls (client_id, created_at);
