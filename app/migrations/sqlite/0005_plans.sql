-- Meal and workout plans. A plan without a client is a template; copying one to a client makes
-- an independent row, so editing the template never changes a copy. The body is the parsed plan
-- as JSON: it is always read and written whole, and its structure is checked by the domain types.
CREATE TABLE plans (
    id          TEXT PRIMARY KEY,
    coach_id    TEXT NOT NULL REFERENCES coaches (user_id) ON DELETE CASCADE,
    client_id   TEXT REFERENCES clients (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('meal', 'workout')),
    name        TEXT NOT NULL,
    body        TEXT NOT NULL,
    active      BIGINT NOT NULL DEFAULT 0,
    -- Informational only: deleting a template keeps its copies.
    template_id TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX plans_coach ON plans (coach_id, kind, client_id);
-- The portal shows one plan of each kind: at most one is active per client.
CREATE UNIQUE INDEX plans_one_active ON plans (client_id, kind) WHERE active = 1;
