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

-- The search filtered by status or by "overdue now" pages newest call first like every
-- search, but the calls it wants are few and far apart (escalated ones are weeks old):
-- walking the calls' keyset index until 50 of them match read ~100,000 calls at ten
-- million.  So each request carries its call's start, and the filtered search walks the
-- requests in the calls' order instead (samad_ivr.storage.search.build_query).  Kept equal
-- to calls.started_at by the two triggers below (the call upsert may move a start
-- earlier, never later).
ALTER TABLE requests ADD COLUMN call_started_at timestamptz NULL;
UPDATE requests r SET call_started_at = c.started_at FROM calls c WHERE c.id = r.call_id;
ALTER TABLE requests ALTER COLUMN call_started_at SET NOT NULL;

CREATE FUNCTION requests_take_call_start() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT started_at INTO NEW.call_started_at FROM calls WHERE id = NEW.call_id;
    RETURN NEW;
END
$$;

CREATE TRIGGER requests_call_started BEFORE INSERT OR UPDATE OF call_id ON requests
    FOR EACH ROW EXECUTE FUNCTION requests_take_call_start();

CREATE FUNCTION calls_move_request_start() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE requests SET call_started_at = NEW.started_at WHERE call_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER calls_request_start AFTER UPDATE OF started_at ON calls
    FOR EACH ROW WHEN (OLD.started_at IS DISTINCT FROM NEW.started_at)
    EXECUTE FUNCTION calls_move_request_start();

-- One status, newest call first (the status filter); the requests still waiting for the
-- agency, newest call first ("overdue now": escalated, or assigned past due_on).
CREATE INDEX requests_status_started_idx
    ON requests (status, call_started_at DESC, call_id DESC);
CREATE INDEX requests_waiting_started_idx ON requests (call_started_at DESC, call_id DESC)
    WHERE status IN ('assigned', 'escalated');
