-- A household's shared profile: values of data-dictionary fields whose profile scope is
-- `household` (address, household size, tenure, …), keyed by the home residents declare on
-- /my/home (community, building, room) and shared by everyone registered there, each within
-- their own consent. `entered_by` is the resident whose entry it was (withdrawing consent
-- forgets what they entered).
CREATE TABLE household_profiles (
    community_id TEXT NOT NULL REFERENCES org_units (id),
    building     TEXT NOT NULL,
    room         TEXT NOT NULL,
    dict_key     TEXT NOT NULL,
    value        TEXT NOT NULL,
    app_id       TEXT NOT NULL,
    entered_by   TEXT NOT NULL REFERENCES residents (id),
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (community_id, building, room, dict_key)
);
CREATE INDEX household_profiles_by_resident ON household_profiles (entered_by);
