-- The designer: one working draft per app (autosaved, not yet published), and archived apps.
-- A draft may be invalid; publishing validates it and saves it as a new app version. The
-- revision increases with every save, so two editors never overwrite each other unseen.
CREATE TABLE app_drafts (
    app_id     TEXT PRIMARY KEY,
    owner_id   TEXT NOT NULL REFERENCES org_units (id),
    definition JSONB NOT NULL,
    revision   BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL
);

-- An archived app takes no new submissions and leaves the designer's list; its cases go on.
CREATE TABLE app_archive (
    app_id      TEXT PRIMARY KEY,
    archived_at TIMESTAMPTZ NOT NULL,
    archived_by TEXT NOT NULL
);
