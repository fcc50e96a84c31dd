-- Clients of a coach. Measurements are stored in SI (cm, kg) and shown in the coach's units.
CREATE TABLE clients (
    id                   TEXT PRIMARY KEY,
    coach_id             TEXT NOT NULL REFERENCES coaches (user_id) ON DELETE CASCADE,
    user_id              TEXT UNIQUE REFERENCES users (id) ON DELETE SET NULL,
    name                 TEXT NOT NULL,
    email                TEXT NOT NULL,
    phone                TEXT NOT NULL DEFAULT '',
    date_of_birth        TEXT,
    age_years            INTEGER,
    gender               TEXT NOT NULL DEFAULT '',
    height_cm            REAL,
    weight_kg            REAL,
    goals                TEXT NOT NULL DEFAULT '',
    medical_conditions   TEXT NOT NULL DEFAULT '',
    dietary_restrictions TEXT NOT NULL DEFAULT '',
    injuries             TEXT NOT NULL DEFAULT '',
    medications          TEXT NOT NULL DEFAULT '',
    checkin_day          TEXT,
    archived             INTEGER NOT NULL DEFAULT 0,
    search_text          TEXT NOT NULL,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    UNIQUE (coach_id, email)
);
CREATE INDEX clients_roster ON clients (coach_id, archived, name);

-- Single-use invitations. Only a hash of the token is kept.
CREATE TABLE invites (
    id         TEXT PRIMARY KEY,
    coach_id   TEXT NOT NULL REFERENCES coaches (user_id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    revoked_at INTEGER
);
CREATE INDEX invites_client ON invites (client_id);

-- A coach's private notes, general (client_id NULL) or about one client. Never shown to clients.
CREATE TABLE notes (
    id         TEXT PRIMARY KEY,
    coach_id   TEXT NOT NULL REFERENCES coaches (user_id) ON DELETE CASCADE,
    client_id  TEXT REFERENCES clients (id) ON DELETE CASCADE,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX notes_owner ON notes (coach_id, client_id, created_at);

-- A coach's private to-dos.
CREATE TABLE todos (
    id         TEXT PRIMARY KEY,
    coach_id   TEXT NOT NULL REFERENCES coaches (user_id) ON DELETE CASCADE,
    client_id  TEXT REFERENCES clients (id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    due_date   TEXT,
    done       INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX todos_owner ON todos (coach_id, done, due_date);
