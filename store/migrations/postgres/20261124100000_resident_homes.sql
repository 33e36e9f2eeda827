-- Residents' homes: the community, building and room a resident says they live in, and the
-- community staff's confirmation that they are an owner there (the owners' register). A
-- declared home lets a resident comment on their community's spending proposals; a confirmed
-- one lets them vote. Declaring another home clears the confirmation.
CREATE TABLE resident_homes (
    resident_id  TEXT PRIMARY KEY REFERENCES residents (id),
    community_id TEXT NOT NULL REFERENCES org_units (id),
    building     TEXT NOT NULL,
    room         TEXT NOT NULL,
    declared_at  TIMESTAMPTZ NOT NULL,
    confirmed_by TEXT,
    confirmed_at TIMESTAMPTZ
);
CREATE INDEX resident_homes_by_community ON resident_homes (community_id, building, room);
