-- Personal-data access audit: one row per PersonalDataAccessed (who, role, purpose, account,
-- which fields, request, through what), and one per PersonalDataErased.
CREATE TABLE IF NOT EXISTS pd_audit_accesses (
    position bigint PRIMARY KEY,
    account_number text NOT NULL,
    at timestamptz NOT NULL,
    actor text NOT NULL,
    role text NOT NULL,
    purpose text NOT NULL,
    fields text[] NOT NULL,
    request_id text NOT NULL,
    api text NOT NULL
);
CREATE INDEX IF NOT EXISTS pd_audit_accesses_account ON pd_audit_accesses (account_number, position);
CREATE INDEX IF NOT EXISTS pd_audit_accesses_actor ON pd_audit_accesses (actor, position);
CREATE INDEX IF NOT EXISTS pd_audit_accesses_purpose ON pd_audit_accesses (purpose, position);
CREATE INDEX IF NOT EXISTS pd_audit_accesses_at ON pd_audit_accesses (at);

CREATE TABLE IF NOT EXISTS pd_audit_erasures (
    position bigint PRIMARY KEY,
    account_number text NOT NULL,
    at timestamptz NOT NULL,
    actor text NOT NULL,
    ground text NOT NULL
);
CREATE INDEX IF NOT EXISTS pd_audit_erasures_account ON pd_audit_erasures (account_number, position);
