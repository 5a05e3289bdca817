-- A campaign's results, by account number a page at a time (`campaign.results`): without an
-- index in that order, each page sorted all of the campaign's notifications.
CREATE INDEX IF NOT EXISTS notifications_campaign_account
    ON notifications (campaign_id, account_number) WHERE campaign_id IS NOT NULL;
