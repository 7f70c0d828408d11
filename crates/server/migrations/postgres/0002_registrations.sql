-- Registries and registration requests (PostgreSQL). Keep in step with
-- migrations/sqlite/0002_registrations.sql: the same tables, columns and constraints,
-- differing only where the dialects differ (BYTEA vs BLOB, how `registry_changes.seq` counts).
-- Identification numbers are never stored in clear: `citizen_key` is the HMAC look-up key;
-- the submitted details (which list representatives' numbers) are stored encrypted.

-- The demo registries (business, cooperative, tax), loaded from data/registry.csv by `seed`.
-- Organisation codes are public and kept in clear.
CREATE TABLE registry_organisations (
    registry        TEXT NOT NULL,
    code            TEXT NOT NULL,
    agency_code     TEXT,
    name_vi         TEXT NOT NULL,
    address         TEXT NOT NULL,
    province        TEXT NOT NULL,
    established_on  TEXT NOT NULL,
    status          TEXT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (registry, code)
);
CREATE INDEX registry_organisations_code ON registry_organisations (code);

CREATE TABLE registry_representatives (
    registry        TEXT NOT NULL,
    code            TEXT NOT NULL,
    row_no          BIGINT NOT NULL,
    citizen_key     BYTEA NOT NULL,
    citizen_masked  TEXT NOT NULL,
    full_name       TEXT NOT NULL,
    PRIMARY KEY (registry, code, row_no)
);
CREATE INDEX registry_representatives_citizen ON registry_representatives (citizen_key);

-- Changes the registries recorded (new representatives, dissolution), in order, for the
-- organisation accounts to follow.
CREATE TABLE registry_changes (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    registry        TEXT NOT NULL,
    code            TEXT NOT NULL,
    change_json     TEXT NOT NULL,
    at              BIGINT NOT NULL
);

-- Uploaded documents; the content lives in <data_dir>/attachments/<sha256>.
CREATE TABLE attachments (
    id              TEXT PRIMARY KEY,
    owner_account   TEXT NOT NULL REFERENCES accounts (id),
    kind            TEXT NOT NULL,
    media_type      TEXT NOT NULL,
    size            BIGINT NOT NULL,
    sha256          BYTEA NOT NULL,
    uploaded_at     BIGINT NOT NULL
);
CREATE INDEX attachments_owner ON attachments (owner_account);

CREATE TABLE registrations (
    id              TEXT PRIMARY KEY,
    requester       TEXT NOT NULL REFERENCES accounts (id),
    org_type        TEXT NOT NULL,
    -- What identifies the organisation for duplicate checks: `tax:<code>`, `agency:<code>`,
    -- or `name:<province>:<lower-case name>` for a type-4 organisation without codes.
    org_key         TEXT NOT NULL,
    name_vi         TEXT NOT NULL,
    province        TEXT NOT NULL,
    capacity        TEXT NOT NULL,
    details_enc     BYTEA NOT NULL,
    status          TEXT NOT NULL,
    -- 1 while the request is not final: one open request per organisation.
    is_open         BIGINT NOT NULL,
    reason          TEXT,
    registry_check  TEXT,
    submitted_at    BIGINT NOT NULL,
    due_on          TEXT NOT NULL,
    decided_at      BIGINT,
    org_eid         TEXT,
    in_person_officer TEXT
);
CREATE UNIQUE INDEX registrations_one_open ON registrations (org_key) WHERE is_open = 1;
CREATE INDEX registrations_requester ON registrations (requester, submitted_at);
CREATE INDEX registrations_province ON registrations (province, status, due_on);

-- The other legal representatives of a request, and their answer (NULL while waiting).
CREATE TABLE registration_consents (
    registration_id TEXT NOT NULL REFERENCES registrations (id),
    citizen_key     BYTEA NOT NULL,
    account_id      TEXT,
    full_name       TEXT NOT NULL,
    citizen_masked  TEXT NOT NULL,
    consented       BIGINT,
    answered_at     BIGINT,
    PRIMARY KEY (registration_id, citizen_key)
);
CREATE INDEX registration_consents_citizen ON registration_consents (citizen_key);

CREATE TABLE registration_attachments (
    registration_id TEXT NOT NULL REFERENCES registrations (id),
    attachment_id   TEXT NOT NULL REFERENCES attachments (id),
    PRIMARY KEY (registration_id, attachment_id)
);
CREATE INDEX registration_attachments_attachment ON registration_attachments (attachment_id);

CREATE TABLE registration_events (
    registration_id TEXT NOT NULL REFERENCES registrations (id),
    seq             BIGINT NOT NULL,
    at              BIGINT NOT NULL,
    actor           TEXT,
    event           TEXT NOT NULL,
    PRIMARY KEY (registration_id, seq)
);
