-- What each record of an imported package (Fitness Coaching Data Standard v1) became in the
-- workspace, by its source key (`<source platform>/<package id>`): importing the same package
-- again finds it and adds nothing. Ids only, never content. `local_id` names a row of the
-- table `kind` says (client, checkin, given_form, library_form, plan); it is not a foreign key,
-- as it may name any of them: a copy deleted since is imported again.
CREATE TABLE imported_records (
    coach_id    TEXT NOT NULL REFERENCES coaches (user_id) ON DELETE CASCADE,
    source_key  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    local_id    TEXT NOT NULL,
    imported_at BIGINT NOT NULL,
    PRIMARY KEY (coach_id, source_key)
);
