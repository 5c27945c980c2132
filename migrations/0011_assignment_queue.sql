-- 0011_assignment_queue: the province admin's queue of requests nobody has assigned yet.
--
-- Every request made before the lifecycle arrived is `registered`, so the queue can be
-- long on an existing installation; it is read oldest first, a page at a time
-- (samad_ivr/storage/request_queue.py), and this index keeps each page a short range scan.
CREATE INDEX requests_center_registered_idx ON requests (center_id, created_at, id)
    WHERE status = 'registered';
