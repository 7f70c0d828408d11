-- Actions asked for by the officer console and confirmed on the officer's phone (PostgreSQL).
-- Keep in step with migrations/sqlite/0013_console_actions.sql.
--
-- `desktop_actions` now holds every action waiting for a phone whose asker holds no
-- confirmation key: a desktop signed in by QR code (`desktop_session`, a `sessions` id) or a
-- console session (`console_session`, the keyed hash of its token, as `console_sessions` keys
-- it). Exactly one of the two is set.
ALTER TABLE desktop_actions ALTER COLUMN desktop_session DROP NOT NULL;
ALTER TABLE desktop_actions ADD COLUMN console_session BYTEA;
ALTER TABLE desktop_actions ADD CONSTRAINT desktop_actions_one_asker
    CHECK ((desktop_session IS NULL) <> (console_session IS NULL));
CREATE INDEX desktop_actions_console ON desktop_actions (console_session);
