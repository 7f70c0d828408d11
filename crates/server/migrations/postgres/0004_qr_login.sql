-- QR login on the desktop (PostgreSQL). Keep in step with migrations/sqlite/0004_qr_login.sql
-- (BLOB there; BYTEA here).
-- One row per rendezvous a desktop opened. `state` goes pending -> approved -> delivered, or
-- pending -> declined; the change from pending is a single conditional UPDATE, so a rendezvous
-- is answered once. The new session's token waits in `event_enc` (encrypted with the server's
-- blob key, purpose "qr_login.token") until the desktop collects it, and is erased then.
CREATE TABLE qr_logins (
    rendezvous    TEXT PRIMARY KEY,
    desktop_key   BYTEA NOT NULL,
    client_name   TEXT NOT NULL,
    os            TEXT NOT NULL,
    ip_address    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    -- pending | approved | delivered | declined
    state         TEXT NOT NULL,
    account_id    TEXT,
    acting_for    TEXT,
    session_id    TEXT,
    event_enc     BYTEA,
    answered_at   BIGINT
);
CREATE INDEX qr_logins_expiry ON qr_logins (expires_at);
