-- Notification history: one row a notification (its latest status) and one row a step.
CREATE TABLE IF NOT EXISTS notifications (
    notification_id uuid PRIMARY KEY,
    account_number text NOT NULL,
    kind text NOT NULL,
    channel text,
    recipient text,
    subject text NOT NULL,
    text text NOT NULL,
    status text NOT NULL,
    reason text,
    rule text NOT NULL,
    trigger_ref text NOT NULL,
    appeal_number text,
    interaction_id uuid,
    campaign_id uuid,
    requested_at timestamptz NOT NULL,
    sent_at timestamptz,
    delivered_at timestamptz,
    read_at timestamptz,
    failed_at timestamptz,
    transferred boolean NOT NULL DEFAULT false,
    gateway_message_id text,
    requested_position bigint NOT NULL,
    updated_position bigint NOT NULL
);
-- An account's messages, newest first.
CREATE INDEX IF NOT EXISTS notifications_account
    ON notifications (account_number, requested_position DESC);
-- The dispatcher's queue: what is still to send, oldest first.
CREATE INDEX IF NOT EXISTS notifications_to_send ON notifications (requested_position)
    WHERE status = 'requested' AND channel IS NOT NULL;
-- A campaign's progress and results.
CREATE INDEX IF NOT EXISTS notifications_campaign ON notifications (campaign_id, status)
    WHERE campaign_id IS NOT NULL;
-- A receipt that names the gateway's message id.
CREATE INDEX IF NOT EXISTS notifications_gateway_id ON notifications (channel, gateway_message_id)
    WHERE gateway_message_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS notification_steps (
    notification_id uuid NOT NULL,
    position bigint NOT NULL,
    status text NOT NULL,
    at timestamptz NOT NULL,
    detail text,
    PRIMARY KEY (notification_id, position)
);
