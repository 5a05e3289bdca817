-- SLA timers: one row a timer of an appeal or a contact, and the appeals the timers follow.
CREATE TABLE IF NOT EXISTS sla_timers (
    timer_id text PRIMARY KEY,
    kind text NOT NULL,
    policy_version text NOT NULL,
    account_number text NOT NULL,
    appeal_number text,
    interaction_id uuid,
    channel text NOT NULL,
    appeal_type text,
    assignee text,
    unit text NOT NULL,
    term integer NOT NULL,
    started_at timestamptz NOT NULL,
    due_date date NOT NULL,
    due_at timestamptz NOT NULL,
    warn_shares double precision[] NOT NULL,
    warn_instants timestamptz[] NOT NULL,
    warned_shares double precision[] NOT NULL DEFAULT '{}',
    breach_recorded boolean NOT NULL DEFAULT false,
    outcome text,
    stopped_at timestamptz,
    met_at timestamptz,
    paused_since timestamptz,
    paused_seconds double precision NOT NULL DEFAULT 0,
    next_mark_at timestamptz,
    started_position bigint NOT NULL,
    updated_position bigint NOT NULL
);
-- The clock's scan: only timers with a mark still to record, by when it falls.
CREATE INDEX IF NOT EXISTS sla_timers_next_mark ON sla_timers (next_mark_at)
    WHERE next_mark_at IS NOT NULL;
-- The supervisor's list of open timers by due time, and the timeliness report by due date.
CREATE INDEX IF NOT EXISTS sla_timers_open_due ON sla_timers (due_at, timer_id)
    WHERE outcome IS NULL;
CREATE INDEX IF NOT EXISTS sla_timers_due ON sla_timers (due_at, timer_id);
CREATE INDEX IF NOT EXISTS sla_timers_due_date ON sla_timers (due_date);
CREATE INDEX IF NOT EXISTS sla_timers_appeal ON sla_timers (appeal_number);
CREATE INDEX IF NOT EXISTS sla_timers_account ON sla_timers (account_number, channel)
    WHERE outcome IS NULL;

CREATE TABLE IF NOT EXISTS sla_timers_appeals (
    appeal_number text PRIMARY KEY,
    account_number text NOT NULL,
    channel text NOT NULL,
    appeal_type text NOT NULL,
    form text NOT NULL,
    received_at timestamptz NOT NULL,
    status text NOT NULL,
    assignee text
);
