-- 0008_search_perf: the national search at a million calls (issue #5, W1).  Forward only.

-- 0001's calls (started_at) and calls (caller_e164, started_at DESC) are prefixes of
-- 0006's keyset indexes (started_at DESC, id DESC) and (caller_e164, started_at DESC,
-- id DESC), which serve every query the old ones served (a B-tree is read both ways).
-- With both present the planner took the old started_at index for "one province on one
-- day", filtered out the other provinces and sorted: ~800 buffers and 2.4 ms at a
-- million calls, against 55 buffers and 0.8 ms through calls_center_started_id_idx.
-- Each also cost every new call (the inbound route's upsert) one more index insert.
DROP INDEX calls_started_at_idx;
DROP INDEX calls_caller_e164_started_idx;
