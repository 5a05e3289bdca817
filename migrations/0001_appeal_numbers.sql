-- Supplier-wide appeal numbers, allocated outside the aggregates, and the account each belongs to.
CREATE SEQUENCE IF NOT EXISTS appeal_number_seq;

CREATE TABLE IF NOT EXISTS appeal_numbers (
    appeal_number text PRIMARY KEY,
    account_id uuid NOT NULL,
    allocated_at timestamptz NOT NULL DEFAULT now()
);
