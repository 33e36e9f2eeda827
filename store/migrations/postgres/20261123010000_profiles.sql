-- Enter once, many share: a resident's profile keyed by data-dictionary fields, the resident's
-- consent to share it between apps (up to which sensitivity), and every read of it.
CREATE TABLE resident_consents (
    resident_id TEXT PRIMARY KEY REFERENCES residents (id),
    level       TEXT NOT NULL CHECK (level IN ('none', 'personal', 'sensitive')),
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE resident_profiles (
    resident_id TEXT NOT NULL REFERENCES residents (id),
    dict_key    TEXT NOT NULL,
    value       JSONB NOT NULL,
    app_id      TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (resident_id, dict_key)
);

CREATE TABLE profile_reads (
    seq         BIGSERIAL PRIMARY KEY,
    resident_id TEXT NOT NULL REFERENCES residents (id),
    dict_key    TEXT NOT NULL,
    app_id      TEXT NOT NULL,
    reader      TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX profile_reads_by_resident ON profile_reads (resident_id, seq);
