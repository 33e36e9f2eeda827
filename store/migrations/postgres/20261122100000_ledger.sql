-- The community ledger: accounts, entries, and the append-only transparency log (RFC 6962
-- Merkle tree leaves) with its signed tree heads. Entries and their leaves are written in one
-- transaction; nothing here is ever updated or deleted by Baida.
CREATE TABLE ledger_accounts (
    id           TEXT PRIMARY KEY,
    community_id TEXT NOT NULL REFERENCES org_units (id),
    kind         TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (community_id, kind)
);

-- One row: the index the next leaf gets. Taking it serializes appends to the log.
CREATE TABLE ledger_counter (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    next_leaf BIGINT NOT NULL
);
INSERT INTO ledger_counter (id, next_leaf) VALUES (1, 0);

CREATE TABLE ledger_log (
    leaf_index BIGINT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('entry', 'case_head')),
    ref        TEXT NOT NULL,
    data       TEXT NOT NULL,
    leaf_hash  TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE ledger_entries (
    id           TEXT PRIMARY KEY,
    leaf_index   BIGINT NOT NULL UNIQUE,
    account_id   TEXT NOT NULL REFERENCES ledger_accounts (id),
    community_id TEXT NOT NULL REFERENCES org_units (id),
    direction    TEXT NOT NULL CHECK (direction IN ('income', 'expense')),
    amount_fen   BIGINT NOT NULL CHECK (amount_fen > 0),
    booked_on    TEXT NOT NULL,
    counterparty TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    evidence     JSONB NOT NULL,
    case_id      TEXT REFERENCES cases (id),
    source       TEXT NOT NULL CHECK (source IN ('case', 'import', 'rule')),
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX ledger_entries_by_account ON ledger_entries (account_id, booked_on);
CREATE INDEX ledger_entries_by_community ON ledger_entries (community_id, booked_on);

CREATE TABLE ledger_heads (
    tree_size  BIGINT PRIMARY KEY,
    root_hash  TEXT NOT NULL,
    signed_at  TIMESTAMPTZ NOT NULL,
    key_id     TEXT NOT NULL,
    algorithm  TEXT NOT NULL,
    signature  TEXT NOT NULL
);

-- How far each case's event chain has been written into the log.
CREATE TABLE ledger_anchors (
    case_id     TEXT PRIMARY KEY REFERENCES cases (id),
    event_count BIGINT NOT NULL
);
