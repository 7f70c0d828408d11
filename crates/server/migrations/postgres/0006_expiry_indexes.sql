-- Indexes for the periodic sweep of expired rows (issue 14, finding 3) (PostgreSQL).
-- Keep in step with migrations/sqlite/0006_expiry_indexes.sql (the same on both).
-- The sweep runs in the background (store::sweep), off the request path; without these it
-- would read whole tables that anyone can fill (challenges are issued without an account).
CREATE INDEX challenges_expires_at ON challenges (expires_at);
CREATE INDEX pending_codes_expires_at ON pending_codes (expires_at);
CREATE INDEX rate_limits_window_start ON rate_limits (window_start);
