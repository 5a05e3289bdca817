-- The appeals list (`appeals`, newest received first, a (received_at, number) cursor) read
-- every matching appeal and sorted them for each page: this index gives the pages in order.
CREATE INDEX IF NOT EXISTS appeal_status_appeals_received
    ON appeal_status_appeals (received_at DESC, appeal_number DESC);
