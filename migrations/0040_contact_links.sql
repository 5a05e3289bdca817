-- Unidentified contacts linked to a client's account (projections/contact_links.py): the
-- account's timeline shows the interactions of every contact linked to it.
CREATE TABLE IF NOT EXISTS contact_links (
    contact_ref text PRIMARY KEY,
    account_number text NOT NULL,
    linked_at timestamptz NOT NULL,
    linked_by text NOT NULL,
    position bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS contact_links_account ON contact_links (account_number);
