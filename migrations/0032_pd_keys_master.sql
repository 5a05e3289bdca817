-- Envelope encryption of the personal-data keys: each key is stored wrapped (AES-256-GCM) by a
-- master key held outside the database (adapters/master_key.py), with the id of that master,
-- so a rotation can run while keys of the previous master are still read. A row without a
-- master id holds a key stored before wrapping: it still reads, and is wrapped on first read
-- or by `ledger keys rewrap`.
ALTER TABLE pd_keys ADD COLUMN IF NOT EXISTS master_key_id text;
