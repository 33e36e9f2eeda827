-- Each app's schedules (triggers of type schedule) as they run: the next run, kept across
-- versions by the schedule's id; paused by staff; a run over its confirmation threshold waits
-- for someone to confirm it; the last run's outcome. A run advances next_at in the
-- transaction that opens its cases, conditional on next_at being what it read: exactly once.
CREATE TABLE schedules (
    app_id         TEXT NOT NULL,
    schedule_id    TEXT NOT NULL,
    rule           TEXT NOT NULL,
    next_at        TIMESTAMPTZ NOT NULL,
    lease_until    TIMESTAMPTZ,
    paused_at      TIMESTAMPTZ,
    paused_by      TEXT,
    waiting_since  TIMESTAMPTZ,
    waiting_cases  BIGINT,
    confirmed_at   TIMESTAMPTZ,
    confirmed_by   TEXT,
    last_run_at    TIMESTAMPTZ,
    last_cases     BIGINT,
    last_error     TEXT,
    PRIMARY KEY (app_id, schedule_id)
);
CREATE INDEX schedules_due ON schedules (next_at);
