-- The linked account's stream id, so a purpose confined to an account's stream also covers
-- the unidentified contacts linked to it (api/graphql/purpose.py).
ALTER TABLE contact_links ADD COLUMN IF NOT EXISTS account_id uuid;
CREATE INDEX IF NOT EXISTS contact_links_account_id ON contact_links (account_id);
