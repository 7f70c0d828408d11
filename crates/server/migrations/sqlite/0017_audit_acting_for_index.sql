-- The audit trail by organisation acted for and by actor (sqlite). Keep in step with
-- migrations/postgres/0017_audit_acting_for_index.sql (the same on both).
--
-- An organisation's owners and administrators read who acted for it, newest first
-- (GET /v1/organisations/{eid}/activity); without this index each reading went through the
-- whole trail. A person's own activity (GET /v1/me/audit) is the entries about them (by
-- subject key, indexed since 0001) and the entries of what they did (by actor).
CREATE INDEX audit_log_acting_for ON audit_log (acting_for, seq);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
