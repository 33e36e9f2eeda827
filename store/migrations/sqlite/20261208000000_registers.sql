-- Registers (台账): rows that outlive cases, kept per community and identified there by their
-- key, each with its history as a hash chain (like a case's events). `search` is the row's
-- values as lower-case text, for the register page's search.
CREATE TABLE register_rows (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    app_id        TEXT NOT NULL,
    register_id   TEXT NOT NULL,
    community_id  TEXT NOT NULL REFERENCES org_units (id),
    grid_id       TEXT REFERENCES org_units (id),
    row_key       TEXT NOT NULL,
    data          TEXT NOT NULL,
    search        TEXT NOT NULL,
    event_count   INTEGER NOT NULL,
    head_hash     TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    deleted_at    TEXT,
    UNIQUE (app_id, register_id, community_id, row_key)
);
CREATE INDEX register_rows_by_register ON register_rows (app_id, register_id, community_id, seq);

CREATE TABLE register_events (
    row_id    TEXT NOT NULL REFERENCES register_rows (id),
    seq       INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    actor     TEXT NOT NULL,
    at        TEXT NOT NULL,
    data      TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL,
    PRIMARY KEY (row_id, seq)
);
