-- Tamper evidence: each event's hash over its predecessor's and its own stored bytes, written
-- by the chain follower in log order (position recorded in projection_positions as 'event_chain').
CREATE TABLE IF NOT EXISTS event_chain (
    stream_id uuid NOT NULL,
    version bigint NOT NULL,
    position bigint NOT NULL,
    prev_hash bytea NOT NULL,
    hash bytea NOT NULL,
    PRIMARY KEY (stream_id, version)
);
CREATE UNIQUE INDEX IF NOT EXISTS event_chain_position ON event_chain (position);

-- Every stream's last chained event: the leaves of the next checkpoint's Merkle tree.
CREATE TABLE IF NOT EXISTS chain_heads (
    stream_id uuid PRIMARY KEY,
    version bigint NOT NULL,
    hash bytea NOT NULL,
    position bigint NOT NULL
);

-- The checkpoints found in the log (Checkpointed events), by the last position each covers.
CREATE TABLE IF NOT EXISTS chain_checkpoints (
    position bigint PRIMARY KEY,
    root bytea NOT NULL,
    streams integer NOT NULL,
    events bigint NOT NULL,
    event_position bigint NOT NULL UNIQUE,
    event_version bigint NOT NULL,
    recorded_at timestamptz NOT NULL
);
