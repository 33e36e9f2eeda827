-- Foundation: organisation units, app versions, photos, cases and their hash-chained events.
CREATE TABLE org_units (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('district', 'street', 'community', 'grid', 'department')),
    parent_id  TEXT REFERENCES org_units (id),
    name_zh    TEXT NOT NULL,
    name_en    TEXT NOT NULL
);

CREATE TABLE apps (
    id             TEXT PRIMARY KEY,
    owner_id       TEXT NOT NULL REFERENCES org_units (id),
    latest_version TEXT NOT NULL,
    latest_seq     INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

CREATE TABLE app_versions (
    app_id     TEXT NOT NULL REFERENCES apps (id),
    version    TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    definition TEXT NOT NULL,
    digest     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (app_id, version),
    UNIQUE (app_id, seq)
);

CREATE TABLE photos (
    sha256       TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,
    created_at   TEXT NOT NULL
);

CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('case_number', 0);

CREATE TABLE cases (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    number        TEXT NOT NULL UNIQUE,
    app_id        TEXT NOT NULL,
    app_version   TEXT NOT NULL,
    community_id  TEXT NOT NULL REFERENCES org_units (id),
    status        TEXT NOT NULL,
    current_step  TEXT,
    record        TEXT NOT NULL,
    tracking_hash TEXT NOT NULL,
    event_count   INTEGER NOT NULL,
    head_hash     TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    FOREIGN KEY (app_id, app_version) REFERENCES app_versions (app_id, version)
);
CREATE INDEX cases_by_app ON cases (app_id, seq);
CREATE INDEX cases_by_status ON cases (status, seq);
CREATE INDEX cases_by_community ON cases (community_id, seq);
CREATE INDEX cases_by_created ON cases (created_at);

CREATE TABLE case_events (
    case_id   TEXT NOT NULL REFERENCES cases (id),
    seq       INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    actor     TEXT NOT NULL,
    at        TEXT NOT NULL,
    data      TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);
