-- Plugins: WebAssembly modules, content-addressed by SHA-256, and the names and versions they
-- are uploaded under. A module's bytes never change; a name and version, once bound to a
-- module, never change either.
CREATE TABLE plugin_modules (
    sha256     TEXT PRIMARY KEY,
    wasm       BYTEA NOT NULL,
    size       BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE plugin_versions (
    name         TEXT NOT NULL,
    version      TEXT NOT NULL,
    sha256       TEXT NOT NULL REFERENCES plugin_modules (sha256),
    capabilities JSONB NOT NULL,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE INDEX plugin_versions_by_sha256 ON plugin_versions (sha256);
