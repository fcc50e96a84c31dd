-- Form templates. The definition (fields, types, options) is JSON checked by the domain types;
-- name and kind are columns as well so lists need not parse it.
CREATE TABLE forms (
    id         TEXT PRIMARY KEY,
    coach_id   TEXT NOT NULL REFERENCES coaches (user_id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('intake', 'checkin', 'questionnaire')),
    definition TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX forms_coach ON forms (coach_id, updated_at);

-- A form given to a client. It keeps the definition as it was when assigned, so later edits to
-- the template never change what the client was asked or what their answers mean.
CREATE TABLE form_assignments (
    id           TEXT PRIMARY KEY,
    coach_id     TEXT NOT NULL REFERENCES coaches (user_id) ON DELETE CASCADE,
    client_id    TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    -- Informational only: deleting the template keeps the assignment and its answers.
    form_id      TEXT,
    definition   TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'submitted')),
    answers      TEXT,
    assigned_at  BIGINT NOT NULL,
    submitted_at BIGINT
);
CREATE INDEX form_assignments_client ON form_assignments (client_id, assigned_at);
CREATE INDEX form_assignments_form ON form_assignments (coach_id, form_id);

-- The form a client answers with each check-in, if any.
ALTER TABLE clients ADD COLUMN checkin_form_id TEXT;

-- A check-in's answers, with the definition they answered.
CREATE TABLE checkin_form_answers (
    checkin_id TEXT PRIMARY KEY REFERENCES checkins (id) ON DELETE CASCADE,
    definition TEXT NOT NULL,
    answers    TEXT NOT NULL
);
