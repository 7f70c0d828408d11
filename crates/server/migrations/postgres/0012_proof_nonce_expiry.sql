-- The request-proof nonces are forgotten by the periodic sweep (store::sweep), off the request
-- path (issue 18), instead of a delete per request: this index lets it find the expired ones
-- without reading the whole table. The same on SQLite and PostgreSQL.
CREATE INDEX proof_nonces_expires_at ON proof_nonces (expires_at);
