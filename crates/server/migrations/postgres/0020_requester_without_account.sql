-- A requester without an account (postgres). Keep in step with
-- migrations/sqlite/0020_requester_without_account.sql: the same columns and indexes.
--
-- An officer may take a registration at the counter (Cách 2, issue 16) for a person who has
-- no e-ID account. The request, its scans and, once approved, the organisation are recorded
-- for that person's identification number — its keyed hash, as everywhere else — with no
-- account; when the person creates one, account creation fills it in, as it makes
-- representatives without an account owners. So `registrations.requester`,
-- `attachments.owner_account` and `organisations.registered_by` may be NULL, and
-- `requester_key`, `owner_key` and `registered_by_key` hold the keyed hash on every row:
-- the rows already here take their account's.

ALTER TABLE attachments ALTER COLUMN owner_account DROP NOT NULL;
ALTER TABLE attachments ADD COLUMN owner_key BYTEA;
UPDATE attachments a SET owner_key = c.citizen_key FROM accounts c WHERE c.id = a.owner_account;
ALTER TABLE attachments ALTER COLUMN owner_key SET NOT NULL;
CREATE INDEX attachments_owner_key ON attachments (owner_key) WHERE owner_account IS NULL;

ALTER TABLE registrations ALTER COLUMN requester DROP NOT NULL;
ALTER TABLE registrations ADD COLUMN requester_key BYTEA;
UPDATE registrations r SET requester_key = c.citizen_key FROM accounts c WHERE c.id = r.requester;
ALTER TABLE registrations ALTER COLUMN requester_key SET NOT NULL;
CREATE INDEX registrations_requester_key ON registrations (requester_key) WHERE requester IS NULL;

ALTER TABLE organisations ALTER COLUMN registered_by DROP NOT NULL;
ALTER TABLE organisations ADD COLUMN registered_by_key BYTEA;
UPDATE organisations o SET registered_by_key = c.citizen_key
    FROM accounts c WHERE c.id = o.registered_by;
ALTER TABLE organisations ALTER COLUMN registered_by_key SET NOT NULL;
CREATE INDEX organisations_registered_by_key ON organisations (registered_by_key)
    WHERE registered_by IS NULL;
