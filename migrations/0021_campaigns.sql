-- Campaigns (9.1.6): scenario, window, status and how far the runner has got.
CREATE TABLE IF NOT EXISTS campaigns (
    campaign_id uuid PRIMARY KEY,
    name text NOT NULL,
    template text NOT NULL,
    channel text NOT NULL,
    subject text NOT NULL,
    text text NOT NULL,
    window_start timestamptz NOT NULL,
    window_end timestamptz NOT NULL,
    status text NOT NULL,
    recipients integer NOT NULL,
    requested integer NOT NULL DEFAULT 0,
    skipped integer NOT NULL DEFAULT 0,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL,
    started_at timestamptz,
    cancelled_at timestamptz,
    finished_at timestamptz,
    updated_position bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS campaigns_active ON campaigns (status) WHERE status = 'running';

-- Recipients no notification was requested for (an unknown account), with the reason.
CREATE TABLE IF NOT EXISTS campaign_skipped (
    campaign_id uuid NOT NULL,
    account_number text NOT NULL,
    reason text NOT NULL,
    PRIMARY KEY (campaign_id, account_number)
);
