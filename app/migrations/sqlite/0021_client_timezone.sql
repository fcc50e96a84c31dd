-- A client's own time zone (an IANA name), in which the portal shows dates and counts habit
-- weeks. NULL until they choose one (or their browser tells it when they accept the
-- invitation): until then the coach's zone stands in.
ALTER TABLE clients ADD COLUMN timezone TEXT;
