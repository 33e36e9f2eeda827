-- Catalog: app versions a unit submits to the district catalog (with description, category,
-- scenario, changelog and screenshots), the district's review of each as a hash-chained event
-- log, and installs: forks of a published version into a community, remembering their source.
CREATE TABLE catalog_submissions (
    id             TEXT PRIMARY KEY,
    app_id         TEXT NOT NULL,
    version        TEXT NOT NULL,
    origin_id      TEXT NOT NULL REFERENCES org_units (id),
    definition     JSONB NOT NULL,
    name           JSONB NOT NULL,
    description    JSONB NOT NULL,
    category       TEXT NOT NULL,
    scenario       TEXT,
    changelog      JSONB NOT NULL,
    screenshots    JSONB NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'rejected')),
    submitted_by   TEXT NOT NULL,
    submitted_at   TIMESTAMPTZ NOT NULL,
    reviewed_by    TEXT,
    reviewed_at    TIMESTAMPTZ,
    review_comment TEXT,
    event_count    BIGINT NOT NULL,
    head_hash      TEXT NOT NULL,
    UNIQUE (app_id, version)
);
CREATE INDEX catalog_submissions_by_status ON catalog_submissions (status, submitted_at);

CREATE TABLE catalog_events (
    submission_id TEXT NOT NULL REFERENCES catalog_submissions (id),
    seq           BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    actor         TEXT NOT NULL,
    at            TIMESTAMPTZ NOT NULL,
    data          JSONB NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL,
    PRIMARY KEY (submission_id, seq)
);

CREATE TABLE catalog_installs (
    app_id         TEXT PRIMARY KEY REFERENCES apps (id),
    community_id   TEXT NOT NULL REFERENCES org_units (id),
    source_app_id  TEXT NOT NULL,
    source_version TEXT NOT NULL,
    installed_at   TIMESTAMPTZ NOT NULL,
    installed_by   TEXT NOT NULL,
    upgraded_at    TIMESTAMPTZ,
    UNIQUE (community_id, source_app_id)
);
CREATE INDEX catalog_installs_by_source ON catalog_installs (source_app_id);
