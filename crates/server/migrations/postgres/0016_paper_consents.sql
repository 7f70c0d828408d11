-- Consents given on paper at the counter (postgres). Keep in step with
-- migrations/sqlite/0016_paper_consents.sql (the same on both).
--
-- A co-representative without an e-ID account consents at the counter on a signed paper that
-- the officer scans (Cách 2, issue 16): the consent row is answered (consented = 1) with the
-- scan's attachment here. Such a representative no longer sends the request to an officer
-- for want of an account.
ALTER TABLE registration_consents ADD COLUMN consent_paper TEXT REFERENCES attachments (id);
