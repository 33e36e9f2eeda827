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
    latest_seq     BIGINT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE app_versions (
    app_id     TEXT NOT NULL REFERENCES apps (id),
    version    TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    definition JSONB NOT NULL,
    digest     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (app_id, version),
    UNIQUE (app_id, seq)
);

CREATE TABLE photos (
    sha256       TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    width        BIGINT NOT NULL,
    height       BIGINT NOT NULL,
    bytes        BIGINT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);

-- Case numbers come from a sequence on PostgreSQL (a counter row on SQLite).
CREATE SEQUENCE case_number_seq;

CREATE TABLE cases (
    seq           BIGSERIAL PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    number        TEXT NOT NULL UNIQUE,
    app_id        TEXT NOT NULL,
    app_version   TEXT NOT NULL,
    community_id  TEXT NOT NULL REFERENCES org_units (id),
    status        TEXT NOT NULL,
    current_step  TEXT,
    record        JSONB NOT NULL,
    tracking_hash TEXT NOT NULL,
    event_count   BIGINT NOT NULL,
    head_hash     TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (app_id, app_version) REFERENCES app_versions (app_id, version)
);
CREATE INDEX cases_by_app ON cases (app_id, seq);
CREATE INDEX cases_by_status ON cases (status, seq);
CREATE INDEX cases_by_community ON cases (community_id, seq);
CREATE INDEX cases_by_created ON cases (created_at);

CREATE TABLE case_events (
    case_id   TEXT NOT NULL REFERENCES cases (id),
    seq       BIGINT NOT NULL,
    kind      TEXT NOT NULL,
    actor     TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    data      JSONB NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);
