-- A check-in sent again with the key it was first sent with (a phone that lost its connection
-- before the answer arrived, an offline queue that retries) is the same check-in: the key the
-- browser chose is kept with it, one per client, and a second sending answers with the first.
-- Written in the check-in's own transaction, and gone with it.
CREATE TABLE checkin_idempotency_keys (
    client_id       TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    checkin_id      TEXT NOT NULL REFERENCES checkins (id) ON DELETE CASCADE,
    PRIMARY KEY (client_id, idempotency_key)
);
CREATE INDEX checkin_idempotency_keys_checkin ON checkin_idempotency_keys (checkin_id);
