-- Each app's schedules (triggers of type schedule) as they run: the next run, kept across
-- versions by the schedule's id; paused by staff; a run over its confirmation threshold waits
-- for someone to confirm it; the last run's outcome. A run advances next_at in the
-- transaction that opens its cases, conditional on next_at being what it read: exactly once.
CREATE TABLE schedules (
    app_id         TEXT NOT NULL,
    schedule_id    TEXT NOT NULL,
    rule           TEXT NOT NULL,
    next_at        TEXT NOT NULL,
    lease_until    TEXT,
    paused_at      TEXT,
    paused_by      TEXT,
    waiting_since  TEXT,
    waiting_cases  INTEGER,
    confirmed_at   TEXT,
    confirmed_by   TEXT,
    last_run_at    TEXT,
    last_cases     INTEGER,
    last_error     TEXT,
    PRIMARY KEY (app_id, schedule_id)
);
CREATE INDEX schedules_due ON schedules (next_at);
