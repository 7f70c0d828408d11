-- The read-only national officer scope (sqlite). Keep in step with
-- migrations/postgres/0014_national_officers.sql (the same on both).
--
-- An account listed here sees the officer console's dashboard of every province and nothing
-- else: no queue, no decisions, no people. Granted and withdrawn by the server's CLI
-- (`officer grant --national`, `officer revoke`), audited. A provincial grant (`officers`)
-- and a national one are exclusive: granting one removes the other in the same transaction.
CREATE TABLE national_officers (
    account_id      TEXT PRIMARY KEY REFERENCES accounts (id),
    granted_at      BIGINT NOT NULL
);
