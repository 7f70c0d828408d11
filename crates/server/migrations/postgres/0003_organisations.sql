-- Organisation accounts, their history, delegations and the deployment plan (PostgreSQL). Keep
-- in step with migrations/sqlite/0003_organisations.sql (BYTEA there is BLOB).
-- Legal representatives' identification numbers are never stored in clear: the details JSON is
-- encrypted (`details_enc`), and representatives are kept as citizen keys (HMAC) for look-ups.
-- Organisation codes (tax, enterprise, cooperative, agency) are public and stored in clear.

-- The e-ID serial counter: one row, incremented in the transaction that creates an account.
-- Serials are never reused: closing an account keeps its row, and the counter only grows.
CREATE TABLE organisation_serials (
    id              BIGINT PRIMARY KEY,
    last_serial     BIGINT NOT NULL
);

CREATE TABLE organisations (
    eid              TEXT PRIMARY KEY,
    serial           BIGINT NOT NULL UNIQUE,
    org_type         TEXT NOT NULL,
    name_vi          TEXT NOT NULL,
    province         TEXT NOT NULL,
    tax_code         TEXT,
    enterprise_code  TEXT,
    cooperative_code TEXT,
    agency_code      TEXT,
    details_enc      BYTEA NOT NULL,
    registration_id  TEXT,
    registered_by    TEXT NOT NULL REFERENCES accounts (id),
    -- active | locked | closed
    status           TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    closed_at        BIGINT
);
CREATE INDEX organisations_tax_code ON organisations (tax_code);
CREATE INDEX organisations_enterprise_code ON organisations (enterprise_code);
CREATE INDEX organisations_cooperative_code ON organisations (cooperative_code);
CREATE INDEX organisations_agency_code ON organisations (agency_code);
CREATE INDEX organisations_province ON organisations (province, org_type, status);

-- The legal representatives on record, as citizen keys (the full numbers are only inside
-- `details_enc`). `removed_at` is set when the registry records their departure.
CREATE TABLE organisation_representatives (
    eid             TEXT NOT NULL REFERENCES organisations (eid),
    citizen_key     BYTEA NOT NULL,
    citizen_masked  TEXT NOT NULL,
    full_name       TEXT NOT NULL,
    added_at        BIGINT NOT NULL,
    removed_at      BIGINT
);
CREATE INDEX organisation_representatives_eid ON organisation_representatives (eid);
CREATE INDEX organisation_representatives_citizen ON organisation_representatives (citizen_key);

-- Renames, mergers, splits, locks: `change` is the JSON of api::OrganisationChange.
CREATE TABLE organisation_history (
    eid             TEXT NOT NULL REFERENCES organisations (eid),
    seq             BIGINT NOT NULL,
    at              BIGINT NOT NULL,
    change          TEXT NOT NULL,
    PRIMARY KEY (eid, seq)
);

-- Who may act for an organisation. Owners (legal representatives with an account) hold a row
-- with role `owner`, no grantor, accepted from the start; delegates get `administrator` or
-- `member` and must accept. `expires_at` is the first second the delegation no longer holds
-- (the end of `expires_on`, Vietnam time).
CREATE TABLE delegations (
    id              TEXT PRIMARY KEY,
    eid             TEXT NOT NULL REFERENCES organisations (eid),
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    role            TEXT NOT NULL,
    granted_by      TEXT,
    granted_at      BIGINT NOT NULL,
    expires_on      TEXT,
    expires_at      BIGINT,
    accepted_at     BIGINT,
    declined_at     BIGINT,
    revoked_at      BIGINT,
    revoked_reason  TEXT
);
CREATE INDEX delegations_eid ON delegations (eid);
CREATE INDEX delegations_account ON delegations (account_id);
-- One open delegation (pending or accepted, not ended) per person and organisation.
CREATE UNIQUE INDEX delegations_one_open ON delegations (eid, account_id)
    WHERE revoked_at IS NULL AND declined_at IS NULL;

-- The deployment plan: per organisation type, the share to register by a date. Rows here
-- override the defaults in the code (`organisation target` on the CLI).
CREATE TABLE deployment_targets (
    org_type        TEXT PRIMARY KEY,
    percent         BIGINT NOT NULL,
    due_on          TEXT NOT NULL
);
