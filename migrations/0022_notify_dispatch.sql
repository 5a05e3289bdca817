-- The dispatcher's own bookkeeping (not a read model: never rebuilt from the log).
-- One row a notification it has tried: a lease so two dispatchers never send it at once,
-- the back-off of a gateway that is down, and the gateway's id once it accepted it.
CREATE TABLE IF NOT EXISTS notify_dispatch (
    notification_id uuid PRIMARY KEY,
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT '-infinity',
    lease_until timestamptz NOT NULL DEFAULT '-infinity',
    last_error text,
    gateway_message_id text,
    accepted_at timestamptz
);

-- Post: print-ready letters, one per notification sent by post (the gateway's output).
CREATE TABLE IF NOT EXISTS notify_letters (
    letter_id uuid PRIMARY KEY,
    account_number text NOT NULL,
    address text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL,
    printed_at timestamptz
);
