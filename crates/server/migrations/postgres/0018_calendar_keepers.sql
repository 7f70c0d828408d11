-- Who may change the working-day calendar's table at the officer console (postgres). Keep in
-- step with migrations/sqlite/0018_calendar_keepers.sql (the same on both).
--
-- The table itself (`holidays`, 0010) is the operator's: the server's CLI changes it, and
-- an account listed here may change it at the console too, each change confirmed on the
-- keeper's phone and audited. Granted and withdrawn by the CLI (`holiday keeper grant`,
-- `holiday keeper revoke`), audited. Being listed opens nothing by itself: the console also
-- needs a provincial officer role, read on every request.
CREATE TABLE calendar_keepers (
    account_id      TEXT PRIMARY KEY REFERENCES accounts (id),
    granted_at      BIGINT NOT NULL
);
