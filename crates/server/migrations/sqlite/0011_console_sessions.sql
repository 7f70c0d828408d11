-- The officer console's sessions (sqlite). Keep in step with
-- migrations/postgres/0011_console_sessions.sql (the same on both but for BLOB/BYTEA).
--
-- One row per signed-in console browser: the cookie's random token is stored only as a keyed
-- hash (like every other session and code here), so a database dump holds no usable cookie.
-- A session ends at 15 minutes without a request (last_seen_at), at 8 hours whatever happens
-- (absolute_expires_at), at sign-out, and when the officer role is withdrawn (the row is
-- deleted in the same transaction as the role).
CREATE TABLE console_sessions (
    token_hash          BLOB PRIMARY KEY,
    account_id          TEXT NOT NULL REFERENCES accounts (id),
    created_at          BIGINT NOT NULL,
    last_seen_at        BIGINT NOT NULL,
    absolute_expires_at BIGINT NOT NULL
);
CREATE INDEX console_sessions_account ON console_sessions (account_id);
