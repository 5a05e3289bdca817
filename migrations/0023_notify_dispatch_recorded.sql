-- When the ledger stored the outcome of a send: the dispatcher claims no more what it has
-- recorded, even while the notifications read model has not caught up yet.
ALTER TABLE notify_dispatch ADD COLUMN IF NOT EXISTS recorded_at timestamptz;
