-- Per-service delegation and the person's consents to services (PostgreSQL). Keep in step with
-- migrations/sqlite/0008_service_delegation_and_consent.sql.

-- The relying parties (`oidc_clients`) a delegation lets its delegate sign in to as the
-- organisation, each with optional dates: `from_on`/`until_on` are the first and last day
-- (`YYYY-MM-DD`, Vietnam), `from_at`/`until_at` the first second it holds and the first it no
-- longer holds. A delegation with no rows allows no outside service (so every delegation made
-- before this table allows none until its owner adds some). Owners (legal representatives) are
-- not limited by these lists. The rows of one delegation are replaced whole, in the same
-- transaction as the change's audit entry.
CREATE TABLE delegation_services (
    delegation_id  TEXT NOT NULL,
    client_id      TEXT NOT NULL,
    from_on        TEXT,
    from_at        BIGINT,
    until_on       TEXT,
    until_at       BIGINT,
    added_at       BIGINT NOT NULL,
    PRIMARY KEY (delegation_id, client_id)
);
CREATE INDEX delegation_services_client ON delegation_services (client_id);

-- A person's consent to a service, per account they signed in as: `acting_for` is the
-- organisation's e-ID number, or '' for the personal account (a key column cannot be NULL).
-- `claims` is the JSON list the latest approval that widened it named; `first_at` when it was
-- first given (or given again after a withdrawal), `last_at` the latest approval. A withdrawal
-- sets `withdrawn_at`; the next approval gives it again.
CREATE TABLE oidc_consents (
    account_id     TEXT NOT NULL,
    client_id      TEXT NOT NULL,
    acting_for     TEXT NOT NULL,
    claims         TEXT NOT NULL,
    first_at       BIGINT NOT NULL,
    last_at        BIGINT NOT NULL,
    withdrawn_at   BIGINT,
    PRIMARY KEY (account_id, client_id, acting_for)
);

-- Withdrawing a consent revokes the person's live tokens for that client.
CREATE INDEX oidc_access_tokens_account_client ON oidc_access_tokens (account_id, client_id);
