-- A contact's timers are looked up by its interaction id (a survey or notification sent about a
-- contact stops them; a rebuild loads a page's timers by it): without an index, each such event
-- read the whole table.
CREATE INDEX IF NOT EXISTS sla_timers_interaction ON sla_timers (interaction_id)
    WHERE interaction_id IS NOT NULL;
