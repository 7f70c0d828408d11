-- Identity schema (SQLite). Keep in step with migrations/postgres/0001_identity.sql: the same
-- tables, columns and constraints, differing only where the dialects differ (BLOB vs BYTEA).
-- Times are Unix seconds (BIGINT); booleans are 0/1 BIGINT; identification numbers are never
-- stored in clear: `*_key` is an HMAC for look-ups, `*_enc` the AES-GCM ciphertext.

CREATE TABLE citizens (
    citizen_key     BLOB PRIMARY KEY,
    citizen_enc     BLOB NOT NULL,
    citizen_masked  TEXT NOT NULL,
    full_name       TEXT NOT NULL,
    date_of_birth   TEXT NOT NULL,
    gender          TEXT NOT NULL,
    birth_province  TEXT NOT NULL,
    phone           TEXT NOT NULL,
    email           TEXT
);

CREATE TABLE accounts (
    id              TEXT PRIMARY KEY,
    citizen_key     BLOB NOT NULL UNIQUE REFERENCES citizens (citizen_key),
    level           BIGINT NOT NULL,
    password_hash   TEXT NOT NULL,
    locked          BIGINT NOT NULL DEFAULT 0,
    locked_reason   TEXT,
    created_at      BIGINT NOT NULL
);

CREATE TABLE officers (
    account_id      TEXT PRIMARY KEY REFERENCES accounts (id),
    province        TEXT NOT NULL,
    granted_at      BIGINT NOT NULL
);

CREATE TABLE devices (
    id                       TEXT PRIMARY KEY,
    account_id               TEXT NOT NULL REFERENCES accounts (id),
    name                     TEXT NOT NULL,
    platform                 TEXT NOT NULL,
    device_key               BLOB NOT NULL,
    device_key_id            BLOB NOT NULL UNIQUE,
    bound_at                 BIGINT NOT NULL,
    unbound_at               BIGINT,
    -- Consecutive wrong confirmations: 5 lock confirmation for a growing period, 10 force a
    -- re-binding. Reset by a right one. Stored here so they survive restarts.
    wrong_confirmations      BIGINT NOT NULL DEFAULT 0,
    confirmation_locked_until BIGINT
);
-- One active device per account.
CREATE UNIQUE INDEX devices_one_active ON devices (account_id) WHERE unbound_at IS NULL;

CREATE TABLE confirmation_keys (
    key_id          BLOB PRIMARY KEY,
    device_id       TEXT NOT NULL REFERENCES devices (id),
    method          TEXT NOT NULL,
    public_key      BLOB NOT NULL,
    last_counter    BIGINT,
    created_at      BIGINT NOT NULL,
    revoked_at      BIGINT
);
CREATE INDEX confirmation_keys_device ON confirmation_keys (device_id);

CREATE TABLE challenges (
    challenge       BLOB PRIMARY KEY,
    purpose         TEXT NOT NULL,
    account_id      TEXT,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);

-- One-time codes (self-registration, device binding, passcode reset, self-lock).
CREATE TABLE pending_codes (
    id              TEXT PRIMARY KEY,
    purpose         TEXT NOT NULL,
    citizen_key     BLOB NOT NULL,
    code_hash       BLOB NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    payload         TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);

CREATE TABLE sessions (
    id                  TEXT PRIMARY KEY,
    token_hash          BLOB NOT NULL UNIQUE,
    account_id          TEXT NOT NULL REFERENCES accounts (id),
    device_id           TEXT,
    kind                TEXT NOT NULL,
    bound_key           BLOB NOT NULL,
    acting_for          TEXT,
    client_name         TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    last_seen_at        BIGINT NOT NULL,
    absolute_expires_at BIGINT NOT NULL,
    revoked_at          BIGINT
);
CREATE INDEX sessions_account ON sessions (account_id);

-- Request-proof nonces seen, per session, kept while a proof with them could still pass.
CREATE TABLE proof_nonces (
    session_id      TEXT NOT NULL,
    nonce           BLOB NOT NULL,
    expires_at      BIGINT NOT NULL,
    PRIMARY KEY (session_id, nonce)
);

CREATE TABLE rate_limits (
    bucket          TEXT NOT NULL,
    window_start    BIGINT NOT NULL,
    hits            BIGINT NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

-- Append-only, hash-chained audit trail. `subject_key` is the keyed hash of the person the
-- entry is about, so a person can be shown the entries about them.
CREATE TABLE audit_log (
    seq             BIGINT PRIMARY KEY,
    at              BIGINT NOT NULL,
    actor           TEXT,
    acting_for      TEXT,
    device          TEXT,
    action          TEXT NOT NULL,
    object          TEXT,
    subject_key     BLOB,
    outcome         TEXT NOT NULL,
    prev_hash       BLOB NOT NULL,
    hash            BLOB NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject_key);
-- The chain's head, one row, updated in the same transaction as each append: the update
-- serialises appends from several server instances.
CREATE TABLE audit_head (
    id              BIGINT PRIMARY KEY,
    seq             BIGINT NOT NULL,
    hash            BLOB NOT NULL
);

-- Every message to a person, delivered by a pluggable sender.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    account_id      TEXT,
    channel         TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    delivered_at    BIGINT
);

-- The in-app inbox.
CREATE TABLE notifications (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    kind            TEXT NOT NULL,
    title_vi        TEXT NOT NULL,
    title_en        TEXT NOT NULL,
    body_vi         TEXT NOT NULL,
    body_en         TEXT NOT NULL,
    link            TEXT,
    created_at      BIGINT NOT NULL,
    read_at         BIGINT
);
CREATE INDEX notifications_account ON notifications (account_id, created_at);
