-- A requester without an account (sqlite). Keep in step with
-- migrations/postgres/0020_requester_without_account.sql: the same columns and indexes.
--
-- An officer may take a registration at the counter (Cách 2, issue 16) for a person who has
-- no e-ID account. The request, its scans and, once approved, the organisation are recorded
-- for that person's identification number — its keyed hash, as everywhere else — with no
-- account; when the person creates one, account creation fills it in, as it makes
-- representatives without an account owners. So `registrations.requester`,
-- `attachments.owner_account` and `organisations.registered_by` may be NULL, and
-- `requester_key`, `owner_key` and `registered_by_key` hold the keyed hash on every row:
-- the rows already here take their account's.
--
-- SQLite cannot drop a NOT NULL: each table's rows are set aside in a plain copy, the table
-- is made again under its name and the rows put back. The tables that refer to it are checked
-- at commit (`defer_foreign_keys`): dropping the table leaves their rows without a parent,
-- and putting each parent row back under the same name settles them again.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE attachments_0019 AS SELECT * FROM attachments;
DROP TABLE attachments;
CREATE TABLE attachments (
    id              TEXT PRIMARY KEY,
    owner_account   TEXT REFERENCES accounts (id),
    kind            TEXT NOT NULL,
    media_type      TEXT NOT NULL,
    size            BIGINT NOT NULL,
    sha256          BLOB NOT NULL,
    uploaded_at     BIGINT NOT NULL,
    owner_key       BLOB NOT NULL
);
INSERT INTO attachments
    (id, owner_account, kind, media_type, size, sha256, uploaded_at, owner_key)
SELECT a.id, a.owner_account, a.kind, a.media_type, a.size, a.sha256, a.uploaded_at,
       (SELECT c.citizen_key FROM accounts c WHERE c.id = a.owner_account)
FROM attachments_0019 a;
DROP TABLE attachments_0019;
CREATE INDEX attachments_owner ON attachments (owner_account);
CREATE INDEX attachments_owner_key ON attachments (owner_key) WHERE owner_account IS NULL;

CREATE TABLE registrations_0019 AS SELECT * FROM registrations;
DROP TABLE registrations;
CREATE TABLE registrations (
    id              TEXT PRIMARY KEY,
    requester       TEXT REFERENCES accounts (id),
    org_type        TEXT NOT NULL,
    org_key         TEXT NOT NULL,
    name_vi         TEXT NOT NULL,
    province        TEXT NOT NULL,
    capacity        TEXT NOT NULL,
    details_enc     BLOB NOT NULL,
    status          TEXT NOT NULL,
    is_open         BIGINT NOT NULL,
    reason          TEXT,
    registry_check  TEXT,
    submitted_at    BIGINT NOT NULL,
    due_on          TEXT NOT NULL,
    decided_at      BIGINT,
    org_eid         TEXT,
    in_person_officer TEXT,
    requester_key   BLOB NOT NULL
);
INSERT INTO registrations
    (id, requester, org_type, org_key, name_vi, province, capacity, details_enc, status,
     is_open, reason, registry_check, submitted_at, due_on, decided_at, org_eid,
     in_person_officer, requester_key)
SELECT r.id, r.requester, r.org_type, r.org_key, r.name_vi, r.province, r.capacity,
       r.details_enc, r.status, r.is_open, r.reason, r.registry_check, r.submitted_at,
       r.due_on, r.decided_at, r.org_eid, r.in_person_officer,
       (SELECT c.citizen_key FROM accounts c WHERE c.id = r.requester)
FROM registrations_0019 r;
DROP TABLE registrations_0019;
CREATE UNIQUE INDEX registrations_one_open ON registrations (org_key) WHERE is_open = 1;
CREATE INDEX registrations_requester ON registrations (requester, submitted_at);
CREATE INDEX registrations_province ON registrations (province, status, due_on);
CREATE INDEX registrations_requester_key ON registrations (requester_key) WHERE requester IS NULL;

CREATE TABLE organisations_0019 AS SELECT * FROM organisations;
DROP TABLE organisations;
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
    details_enc      BLOB NOT NULL,
    registration_id  TEXT,
    registered_by    TEXT REFERENCES accounts (id),
    status           TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    closed_at        BIGINT,
    registered_by_key BLOB NOT NULL
);
INSERT INTO organisations
    (eid, serial, org_type, name_vi, province, tax_code, enterprise_code, cooperative_code,
     agency_code, details_enc, registration_id, registered_by, status, created_at, closed_at,
     registered_by_key)
SELECT o.eid, o.serial, o.org_type, o.name_vi, o.province, o.tax_code, o.enterprise_code,
       o.cooperative_code, o.agency_code, o.details_enc, o.registration_id, o.registered_by,
       o.status, o.created_at, o.closed_at,
       (SELECT c.citizen_key FROM accounts c WHERE c.id = o.registered_by)
FROM organisations_0019 o;
DROP TABLE organisations_0019;
CREATE INDEX organisations_tax_code ON organisations (tax_code);
CREATE INDEX organisations_enterprise_code ON organisations (enterprise_code);
CREATE INDEX organisations_cooperative_code ON organisations (cooperative_code);
CREATE INDEX organisations_agency_code ON organisations (agency_code);
CREATE INDEX organisations_province ON organisations (province, org_type, status);
CREATE INDEX organisations_registered_by_key ON organisations (registered_by_key)
    WHERE registered_by IS NULL;
