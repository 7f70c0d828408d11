-- Sensitive actions started on a desktop and confirmed on the phone (SQLite).
-- Keep in step with migrations/postgres/0005_desktop_actions.sql (the same on both).
-- One row per action a desktop session asked for. `body` is the canonical JSON the phone
-- confirms (its SHA-256 must equal the confirmation's body hash). `state` goes
-- pending -> confirming -> done | refused, or pending -> declined; the change from pending is
-- a single conditional UPDATE, so an action is answered once. `event` is the
-- DesktopActionEvent the desktop is told.
CREATE TABLE desktop_actions (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    desktop_session TEXT NOT NULL,
    kind            TEXT NOT NULL,
    body            TEXT NOT NULL,
    target          TEXT NOT NULL,
    summary_vi      TEXT NOT NULL,
    summary_en      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    -- pending | confirming | done | refused | declined
    state           TEXT NOT NULL,
    event           TEXT,
    answered_at     BIGINT
);
CREATE INDEX desktop_actions_waiting ON desktop_actions (account_id, state, expires_at);
CREATE INDEX desktop_actions_expiry ON desktop_actions (expires_at);
