-- The backend as an OpenID provider (PostgreSQL). Keep in step with
-- migrations/sqlite/0007_openid_provider.sql (BLOB there; BYTEA here).

-- Relying parties, registered by an operator (`dinhdanh-server client add`). Lists are JSON
-- text; `status` is active | disabled. A disabled client keeps its row (its audit entries and
-- pairwise identifiers stay meaningful) but can start nothing. `logo_png` is the logo as this
-- server re-encoded it (PNG), never the file the operator gave.
CREATE TABLE oidc_clients (
    client_id           TEXT PRIMARY KEY,
    name_vi             TEXT NOT NULL,
    name_en             TEXT NOT NULL,
    redirect_uris       TEXT NOT NULL,
    jwks                TEXT NOT NULL,
    sector              TEXT NOT NULL,
    allowed_claims      TEXT NOT NULL,
    allow_organisations BIGINT NOT NULL,
    allow_citizen_id    BIGINT NOT NULL,
    logo_png            BYTEA,
    status              TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    disabled_at         BIGINT
);

-- The confusable skeletons (UTS #39) of every client name, Vietnamese and English: the primary
-- key makes two look-alike names impossible, whichever instance registers them.
CREATE TABLE oidc_client_names (
    skeleton    TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL
);

-- The provider's ES256 signing keys. The private scalar is encrypted with the server's blob key
-- (purpose "oidc.signing_key"); `public_jwk` is what the JWKS publishes. A key signs from
-- `signs_from`; the newest such key signs. It is published until `retires_at` (NULL: not
-- retiring), so during a rotation both keys are published.
CREATE TABLE oidc_signing_keys (
    kid          TEXT PRIMARY KEY,
    private_enc  BYTEA NOT NULL,
    public_jwk   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    signs_from   BIGINT NOT NULL,
    retires_at   BIGINT
);

-- Pushed authorization requests (RFC 9126): validated at the PAR endpoint, used once by the
-- browser's authorization request before `expires_at`. `dpop_jkt` binds the code to the client's
-- DPoP key when the push carried a proof or the parameter (RFC 9449 §10).
CREATE TABLE oidc_requests (
    request_id      TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL,
    redirect_uri    TEXT NOT NULL,
    scope           TEXT NOT NULL,
    state           TEXT NOT NULL,
    nonce           TEXT NOT NULL,
    code_challenge  TEXT NOT NULL,
    dpop_jkt        TEXT,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT
);
CREATE INDEX oidc_requests_expiry ON oidc_requests (expires_at);

-- A sign-in to a relying party: made by the browser's authorization request, bound to that
-- browser (`browser_hash`, a keyed hash of its cookie), answered on the phone. `state` goes
-- pending -> approved -> code_issued -> redeemed, or pending -> declined, and
-- code_issued | redeemed -> revoked when a code is replayed; each move is one conditional UPDATE
-- (resources/oidc/sign_in.rs holds the state machine).
CREATE TABLE oidc_sign_ins (
    sign_in_id      TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL,
    redirect_uri    TEXT NOT NULL,
    scope           TEXT NOT NULL,
    state_param     TEXT NOT NULL,
    nonce           TEXT NOT NULL,
    code_challenge  TEXT NOT NULL,
    dpop_jkt        TEXT,
    browser_hash    BYTEA NOT NULL,
    ip_address      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    state           TEXT NOT NULL,
    account_id      TEXT,
    acting_for      TEXT,
    claims          TEXT,
    amr             TEXT,
    auth_time       BIGINT,
    code_hash       BYTEA,
    code_expires_at BIGINT
);
CREATE UNIQUE INDEX oidc_sign_ins_code ON oidc_sign_ins (code_hash);
CREATE INDEX oidc_sign_ins_expiry ON oidc_sign_ins (expires_at);

-- Access tokens: opaque, stored as a keyed hash, bound to a DPoP key (`jkt`, RFC 9449), at most
-- five minutes. Revoked together when the code they came from is replayed.
CREATE TABLE oidc_access_tokens (
    token_hash  BYTEA PRIMARY KEY,
    sign_in_id  TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    acting_for  TEXT,
    jkt         TEXT NOT NULL,
    scope       TEXT NOT NULL,
    issued_at   BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX oidc_access_tokens_sign_in ON oidc_access_tokens (sign_in_id);
CREATE INDEX oidc_access_tokens_expiry ON oidc_access_tokens (expires_at);
