-- Account timeline: every interaction and appeal event of an account, in log order.
CREATE TABLE IF NOT EXISTS timeline_entries (
    position bigint PRIMARY KEY,
    account_id uuid NOT NULL,
    account_number text NOT NULL,
    event_type text NOT NULL,
    occurred_at timestamptz NOT NULL,
    channel text,
    appeal_number text,
    summary text NOT NULL,
    actor text,
    details jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS timeline_entries_account ON timeline_entries (account_number, position DESC);
