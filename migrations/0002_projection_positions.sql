-- Where each read model has got to in the log; written in the same transaction as its rows.
CREATE TABLE IF NOT EXISTS projection_positions (
    name text PRIMARY KEY,
    position bigint NOT NULL
);
