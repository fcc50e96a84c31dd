-- The inbox lists a workspace's check-ins waiting for review, newest first, 25 to a page, and
-- counts them. checkins_inbox (coach_id, reviewed_at, submitted_at) does not hold the page's
-- tie-break on id, so its plan kept a sort step (SQLite: "USE TEMP B-TREE FOR RIGHT PART OF
-- ORDER BY"). This index holds only the waiting check-ins, in the page's exact order: a page
-- reads the waiting check-ins in order up to its own 25, and sorts nothing.
CREATE INDEX checkins_waiting ON checkins (coach_id, submitted_at DESC, id) WHERE reviewed_at IS NULL;
