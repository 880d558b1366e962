-- The worker takes the oldest recovery requests first: keep that an index walk, not a
-- sort of the whole queue, when a flood leaves a backlog.
CREATE INDEX recovery_requests_order ON recovery_requests (requested_at, id);
