-- Personal-data keys: one AES-256-GCM data key per account stream, kept apart from the event
-- log. Erasure destroys the key (key = NULL): the personal fields of the account's events can
-- no longer be read, while the events themselves stay as stored. A later write with personal
-- data starts the next generation; what the destroyed generations sealed stays erased.
CREATE TABLE IF NOT EXISTS pd_keys (
    account_id uuid PRIMARY KEY,
    generation integer NOT NULL DEFAULT 1,
    key bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    erased_at timestamptz,
    ground text
);
