-- Letters keep their personal data sealed with the account's data key (adapters/notify/letters.py):
-- address, subject and text travel in `sealed` (nonce + AES-GCM ciphertext) under key generation
-- `key_generation`, so erasing the account (destroying its key) erases its letters too. Rows
-- written before this migration keep their plain columns.
ALTER TABLE notify_letters ALTER COLUMN address DROP NOT NULL;
ALTER TABLE notify_letters ALTER COLUMN subject DROP NOT NULL;
ALTER TABLE notify_letters ALTER COLUMN body DROP NOT NULL;
ALTER TABLE notify_letters ADD COLUMN IF NOT EXISTS sealed bytea;
ALTER TABLE notify_letters ADD COLUMN IF NOT EXISTS key_generation integer;
