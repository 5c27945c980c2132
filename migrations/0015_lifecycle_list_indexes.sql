-- 0015_lifecycle_list_indexes: two lists of issue 11 that read every row they count (L1).
--
-- Measured at 1,000,000 requests (benchmarks/l1.py, docs/performance.md):
-- * The inspectors' queue counts (samad_ivr.storage.inspection.COUNTS_SQL) read every
--   open request of the province from the heap, ~13,000 rows on ~9,000 pages (one
--   province's requests are interleaved with the other 30 provinces'): ~70 ms on each
--   queue page and API call.  The same key with long_stop_at included answers them from
--   the index alone: ~3 ms.  It replaces 0009's index of the same key, so an update of a
--   request maintains no more indexes than before.
-- * The agency portal's notices, unread first (agency_portal.NOTICES_SQL) sorted all of
--   the agency's notices (3,500 a year for a busy agency) on every page, and the unread
--   count read them all: ~20 ms each.  An index in that order makes both a short range:
--   under 1 ms.

CREATE INDEX requests_center_status_due_cover_idx ON requests (center_id, status, due_on, id)
    INCLUDE (long_stop_at);
DROP INDEX requests_center_status_due_idx;
ALTER INDEX requests_center_status_due_cover_idx RENAME TO requests_center_status_due_idx;

CREATE INDEX agency_notifications_unread_first_idx
    ON agency_notifications (agency_id, (read_at IS NULL) DESC, id DESC);
