-- A client's goals. Measurement goals name a check-in metric and a target in SI; habit goals a
-- weekly count, logged by the client per week.
CREATE TABLE goals (
    id            TEXT PRIMARY KEY,
    coach_id      TEXT NOT NULL REFERENCES coaches (user_id) ON DELETE CASCADE,
    client_id     TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    title         TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('measurement', 'habit')),
    metric        TEXT,
    target_value  REAL,
    target_date   TEXT,
    start_value   REAL,
    per_week      INTEGER,
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed', 'abandoned')),
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX goals_client ON goals (client_id, status);

-- How often the client managed a habit goal in a week (week = its Monday, UTC).
CREATE TABLE goal_habit_weeks (
    goal_id    TEXT NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
    week_start TEXT NOT NULL,
    times_done INTEGER NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (goal_id, week_start)
);
