-- People: staff accounts and their role grants, server-side sessions, API tokens, residents
-- and their one-time log-in codes, security events; retiring org units; a case's grid and
-- the resident who filed it.
ALTER TABLE org_units ADD COLUMN retired_at TEXT;
ALTER TABLE cases ADD COLUMN grid_id TEXT REFERENCES org_units (id);
ALTER TABLE cases ADD COLUMN resident_id TEXT;
CREATE INDEX cases_by_grid ON cases (grid_id, seq);
CREATE INDEX cases_by_assignee ON cases (assignee, seq);
CREATE INDEX cases_by_resident ON cases (resident_id, seq);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    phone         TEXT UNIQUE,
    name          TEXT NOT NULL,
    unit_id       TEXT NOT NULL REFERENCES org_units (id),
    password_hash TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,
    disabled_at   TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX users_by_unit ON users (unit_id);

CREATE TABLE role_grants (
    user_id    TEXT NOT NULL REFERENCES users (id),
    role       TEXT NOT NULL,
    unit_id    TEXT NOT NULL REFERENCES org_units (id),
    granted_at TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    PRIMARY KEY (user_id, role, unit_id)
);

CREATE TABLE residents (
    id         TEXT PRIMARY KEY,
    phone      TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    user_id     TEXT REFERENCES users (id),
    resident_id TEXT REFERENCES residents (id),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    CHECK ((user_id IS NULL) <> (resident_id IS NULL))
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    unit_id      TEXT NOT NULL REFERENCES org_units (id),
    permissions  TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);

CREATE TABLE login_codes (
    id         TEXT PRIMARY KEY,
    phone      TEXT NOT NULL,
    code_hash  TEXT NOT NULL,
    client     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    used_at    TEXT
);
CREATE INDEX login_codes_by_phone ON login_codes (phone, created_at);
CREATE INDEX login_codes_by_client ON login_codes (client, created_at);

CREATE TABLE security_events (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    kind    TEXT NOT NULL,
    actor   TEXT NOT NULL,
    unit_id TEXT,
    subject TEXT,
    client  TEXT,
    detail  TEXT NOT NULL
);
CREATE INDEX security_events_by_unit ON security_events (unit_id, seq);
