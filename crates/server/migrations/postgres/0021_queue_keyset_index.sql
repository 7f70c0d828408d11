-- The officer queue's keyset paging (postgres). Keep in step with
-- migrations/sqlite/0021_queue_keyset_index.sql (the same on both).
--
-- The queue lists a province's waiting requests by due date, then submission, then id, and a
-- page starts right after the last row of the page before (`(due_on, submitted_at, id) > …`).
-- Each waiting status is one range of the first index in exactly that order, so a page reads
-- its fifty rows and no more, however deep in the queue; the second serves a type's filter
-- the same way. They replace `(province, status, due_on)`, whose order stopped at the due date
-- (every request due on one day was read and sorted for each page); its other reader, a
-- province's statistics, reads `province = …` from the new one's prefix.
DROP INDEX registrations_province;
CREATE INDEX registrations_queue ON registrations (province, status, due_on, submitted_at, id);
CREATE INDEX registrations_queue_type
    ON registrations (province, status, org_type, due_on, submitted_at, id);
