-- Live updates (sqlite). Keep in step with migrations/postgres/0019_live_events.sql.
--
-- What changed for whom, written in the transaction of the change itself: an event is told
-- only about a change that committed, and a change that committed is never without its event.
-- The session's stream (resources/live) reads the events of its person (account_id) and of the
-- organisation its session acts for (org_eid) after the last it sent, when woken
-- (infra/wakeups: at once, at every instance) or on its slow re-read. An event names a thing
-- and its id only (the JSON of a LiveEvent). The sweep forgets events after a day: a stream
-- opened later starts from what is there and the app reads its screen again anyway.
CREATE TABLE live_events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      TEXT REFERENCES accounts (id),
    org_eid         TEXT,
    event           TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX live_events_account ON live_events (account_id, seq);
CREATE INDEX live_events_org ON live_events (org_eid, seq);
CREATE INDEX live_events_created_at ON live_events (created_at);
