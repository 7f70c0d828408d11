-- Actions asked for by the officer console and confirmed on the officer's phone (SQLite).
-- Keep in step with migrations/postgres/0013_console_actions.sql.
--
-- `desktop_actions` now holds every action waiting for a phone whose asker holds no
-- confirmation key: a desktop signed in by QR code (`desktop_session`, a `sessions` id) or a
-- console session (`console_session`, the keyed hash of its token, as `console_sessions` keys
-- it). Exactly one of the two is set. SQLite cannot drop a NOT NULL, so the table is rebuilt;
-- its rows are minutes old and move across unchanged.
CREATE TABLE desktop_actions_new (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    desktop_session TEXT,
    console_session BLOB,
    kind            TEXT NOT NULL,
    body            TEXT NOT NULL,
    target          TEXT NOT NULL,
    summary_vi      TEXT NOT NULL,
    summary_en      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    -- pending | confirming | done | refused | declined | cancelled
    state           TEXT NOT NULL,
    event           TEXT,
    answered_at     BIGINT,
    CHECK ((desktop_session IS NULL) <> (console_session IS NULL))
);
INSERT INTO desktop_actions_new (id, account_id, desktop_session, console_session, kind, body,
    target, summary_vi, summary_en, created_at, expires_at, state, event, answered_at)
SELECT id, account_id, desktop_session, NULL, kind, body, target, summary_vi, summary_en,
    created_at, expires_at, state, event, answered_at
FROM desktop_actions;
DROP TABLE desktop_actions;
ALTER TABLE desktop_actions_new RENAME TO desktop_actions;
CREATE INDEX desktop_actions_waiting ON desktop_actions (account_id, state, expires_at);
CREATE INDEX desktop_actions_expiry ON desktop_actions (expires_at);
CREATE INDEX desktop_actions_console ON desktop_actions (console_session);
