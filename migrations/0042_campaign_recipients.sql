-- Which campaigns list an account, and the event that lists it (projections/campaign_recipients.py):
-- the subject's report shows the figures a campaign holds of the account.
CREATE TABLE IF NOT EXISTS campaign_recipients (
    account_number text NOT NULL,
    campaign_id uuid NOT NULL,
    listed_version bigint NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (account_number, campaign_id)
);
