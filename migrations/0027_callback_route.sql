-- 0027_callback_route: a callback to a caller who chose not to wait is a call of its own kind.
--
-- Issue 13's callbacks (the desk's conversation with a caller who pressed 1 in the queue)
-- are stored as calls rows with route 'callback', like the satisfaction callbacks of 0025,
-- so the service-level numbers (samad_ivr/storage/service_level.py) count "callbacks made
-- and reached" from the call rows themselves and keep them out of the inbound calls.

ALTER TABLE calls DROP CONSTRAINT calls_route_check;
ALTER TABLE calls ADD CONSTRAINT calls_route_check
    CHECK (route IN ('desk', 'deputy', 'queue', 'closed', 'fallback', 'satisfaction', 'callback'));
