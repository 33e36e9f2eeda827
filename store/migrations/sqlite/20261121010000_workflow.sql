-- Workflow: who holds a case, its clocks and escalation mark; durable timers; the
-- transactional outbox with its delivery attempts; the in-app inbox; the responsibility list.
ALTER TABLE cases ADD COLUMN assignee TEXT;
ALTER TABLE cases ADD COLUMN step_entered_at TEXT;
ALTER TABLE cases ADD COLUMN escalation TEXT;
ALTER TABLE cases ADD COLUMN closed_at TEXT;

CREATE TABLE timers (
    id            TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL REFERENCES cases (id),
    step          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    due_at        TEXT NOT NULL,
    claimed_until TEXT,
    fired_at      TEXT,
    cancelled_at  TEXT
);
CREATE INDEX timers_due ON timers (due_at) WHERE fired_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX timers_by_case ON timers (case_id);

CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    case_id         TEXT REFERENCES cases (id),
    channel         TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    template        TEXT NOT NULL,
    data            TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_until   TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    delivered_at    TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_by_case ON outbox (case_id);

CREATE TABLE deliveries (
    outbox_id TEXT NOT NULL REFERENCES outbox (id),
    attempt   INTEGER NOT NULL,
    at        TEXT NOT NULL,
    ok        INTEGER NOT NULL,
    detail    TEXT NOT NULL,
    PRIMARY KEY (outbox_id, attempt)
);

CREATE TABLE inbox (
    id         TEXT PRIMARY KEY,
    recipient  TEXT NOT NULL,
    case_id    TEXT REFERENCES cases (id),
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at    TEXT
);
CREATE INDEX inbox_by_recipient ON inbox (recipient, created_at);

CREATE TABLE responsibilities (
    category   TEXT PRIMARY KEY,
    department TEXT NOT NULL REFERENCES org_units (id),
    updated_at TEXT NOT NULL
);
