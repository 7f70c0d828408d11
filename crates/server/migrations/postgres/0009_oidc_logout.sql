-- Logout at the OpenID provider (PostgreSQL). Keep in step with
-- migrations/sqlite/0009_oidc_logout.sql (the same on both).

-- A relying party's OpenID Connect Back-Channel Logout endpoint (one https URI; http only on
-- loopback, like redirect URIs) and its RP-initiated logout return addresses (JSON array of
-- exact URIs).
ALTER TABLE oidc_clients ADD COLUMN backchannel_logout_uri TEXT;
ALTER TABLE oidc_clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]';
-- A relying party may publish its keys at a JWKS URI (https; http only on loopback) instead of
-- registering them inline; `jwks` then holds an empty set.
ALTER TABLE oidc_clients ADD COLUMN jwks_uri TEXT;

-- The session id (`sid`) an ID token names: a keyed hash of the sign-in id (the sign-in id
-- itself is a rendezvous secret and never leaves the provider), set when the code is redeemed.
-- RP-initiated logout finds the sign-in of an `id_token_hint` by it.
ALTER TABLE oidc_sign_ins ADD COLUMN sid TEXT;
CREATE UNIQUE INDEX oidc_sign_ins_sid ON oidc_sign_ins (sid);

-- Back-channel logouts to deliver: one row per sign-in ended (its access tokens revoked in the
-- same transaction) at a client with a back-channel logout URI. The logout token is signed at
-- each attempt (fresh iat/exp), so no token is ever stored. Retried with back-off until
-- delivered or given up; `next_attempt_at` is also the lease of an attempt under way.
CREATE TABLE oidc_logouts (
    id              TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL,
    sign_in_id      TEXT NOT NULL,
    account_id      TEXT NOT NULL,
    acting_for      TEXT,
    reason          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    delivered_at    BIGINT,
    given_up_at     BIGINT
);
CREATE INDEX oidc_logouts_due ON oidc_logouts (next_attempt_at);

-- Finding the live sign-ins of a person or an organisation.
CREATE INDEX oidc_access_tokens_account ON oidc_access_tokens (account_id);
CREATE INDEX oidc_access_tokens_acting_for ON oidc_access_tokens (acting_for);
