-- Server-wide secrets (e.g. the key that signs local file URLs), shared by every app server.
CREATE TABLE app_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- A client's check-in. Measurements are SI (kg, cm); NULL means "not reported".
CREATE TABLE checkins (
    id           TEXT PRIMARY KEY,
    coach_id     TEXT NOT NULL REFERENCES coaches (user_id) ON DELETE CASCADE,
    client_id    TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    submitted_at BIGINT NOT NULL,
    weight       REAL,
    body_fat     REAL,
    waist        REAL,
    hips         REAL,
    chest        REAL,
    arm          REAL,
    thigh        REAL,
    sessions     REAL,
    adherence    REAL,
    steps        REAL,
    sleep        REAL,
    energy       REAL,
    stress       REAL,
    hunger       REAL,
    mood         REAL,
    feedback     TEXT NOT NULL DEFAULT '',
    reply        TEXT,
    replied_at   BIGINT,
    reviewed_at  BIGINT
);
CREATE INDEX checkins_client ON checkins (client_id, submitted_at);
CREATE INDEX checkins_inbox ON checkins (coach_id, reviewed_at, submitted_at);

-- Progress photos. The object key is made by the server; the bytes live in object storage.
CREATE TABLE checkin_photos (
    id          TEXT PRIMARY KEY,
    checkin_id  TEXT NOT NULL REFERENCES checkins (id) ON DELETE CASCADE,
    coach_id    TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    slot        TEXT NOT NULL CHECK (slot IN ('front', 'side', 'back', 'other')),
    object_key  TEXT NOT NULL UNIQUE,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    byte_size   INTEGER NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (checkin_id, slot)
);
CREATE INDEX checkin_photos_client ON checkin_photos (client_id);

-- Objects whose rows are gone and whose bytes must be deleted. Queued in the same transaction
-- that deletes the rows, removed once storage confirms, retried in the background until then.
CREATE TABLE object_deletions (
    object_key TEXT PRIMARY KEY,
    queued_at  BIGINT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0
);
