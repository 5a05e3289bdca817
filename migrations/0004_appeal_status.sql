-- Appeal status: one row an appeal, and the history of its events.
CREATE TABLE IF NOT EXISTS appeal_status_appeals (
    appeal_number text PRIMARY KEY,
    account_id uuid NOT NULL,
    account_number text NOT NULL,
    channel text NOT NULL,
    appeal_type text NOT NULL,
    form text NOT NULL,
    status text NOT NULL,
    received_at timestamptz NOT NULL,
    subject text NOT NULL,
    text text NOT NULL,
    contact jsonb,
    reply_channel text,
    external_id text,
    assignee text,
    extended boolean NOT NULL DEFAULT false,
    answered_at timestamptz,
    answer_channel text,
    closed_at timestamptz,
    without_consideration_reason text,
    related_appeal_number text,
    updated_position bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS appeal_status_appeals_account ON appeal_status_appeals (account_number);
CREATE INDEX IF NOT EXISTS appeal_status_appeals_status ON appeal_status_appeals (status, received_at);
CREATE INDEX IF NOT EXISTS appeal_status_appeals_assignee ON appeal_status_appeals (assignee);

CREATE TABLE IF NOT EXISTS appeal_status_history (
    position bigint PRIMARY KEY,
    appeal_number text NOT NULL,
    event_type text NOT NULL,
    at timestamptz NOT NULL,
    actor text,
    status text NOT NULL,
    details jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS appeal_status_history_appeal ON appeal_status_history (appeal_number, position);
