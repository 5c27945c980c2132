-- 0012_reports: indexes for the agency report, the dashboard's on-time rate and the
-- national search's status and "overdue now" filters (issue 11).  Forward only.

-- The agency report counts the requests registered in a range of days, of one province
-- (first index) or of every province (second).  Without them a month of one province at
-- a million requests was a sequential scan of the whole table.
CREATE INDEX requests_center_created_idx ON requests (center_id, created_at);
CREATE INDEX requests_created_idx ON requests (created_at);

-- "Reopened share": the few requests a citizen reopened, hashed once per report instead
-- of a probe into the whole history for every request counted.
CREATE INDEX request_history_reopen_idx ON request_history (request_id)
    WHERE action = 'reopen';

-- The search filtered by a rare status (reopened, escalated) or by "overdue now"
-- (escalated, or assigned with due_on passed) starts from the few matching requests
-- instead of walking the newest calls until enough of them match.
CREATE INDEX requests_status_due_idx ON requests (status, due_on);
