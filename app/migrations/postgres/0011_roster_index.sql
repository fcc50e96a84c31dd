-- The roster's count and page queries filter on coach_id, archived and search_text and read
-- name, id, email and user_id. Since sealing, each clients row also carries the sealed profile
-- (about 1 KB), so scanning rows for those columns read several times more pages: at 10,000
-- clients the roster became 1.4x to 2.3x slower. An index holding every column the roster
-- reads lets it scan the index alone (measured: 2.6 ms first page, 4.2 ms last page, 4.0 ms
-- search, against 9.4 / 27.1 / 17.2 ms without it).
DROP INDEX clients_roster;
CREATE INDEX clients_roster ON clients (coach_id, archived, name, id, email, search_text, user_id);
