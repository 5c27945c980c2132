-- 0025_satisfaction_route: a satisfaction callback is a call of its own kind.
--
-- The callbacks of 0018 are stored as calls rows like any other, but `route` had no value
-- for them, so the national search showed an outbound callback as an inbound call with no
-- route.  'satisfaction' names it; existing callback rows are found through their attempt.

ALTER TABLE calls DROP CONSTRAINT calls_route_check;
ALTER TABLE calls ADD CONSTRAINT calls_route_check
    CHECK (route IN ('desk', 'deputy', 'queue', 'closed', 'fallback', 'satisfaction'));

UPDATE calls SET route = 'satisfaction'
  FROM satisfaction_calls s
 WHERE s.call_id = calls.id AND calls.route IS NULL;
