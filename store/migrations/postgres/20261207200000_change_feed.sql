-- The change feed of the live pages (store::changes): a case's new event and an inbox's new
-- message notify the channel `baida:<schema>` when their transaction commits, so every node
-- listening — this one or another in front of the same database — pushes them to its open
-- pages. PostgreSQL folds identical notifications of one transaction into one.
CREATE FUNCTION baida_notify_case_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('baida:' || TG_TABLE_SCHEMA, 'case:' || NEW.case_id);
    RETURN NULL;
END
$$;
CREATE TRIGGER case_events_notify AFTER INSERT ON case_events
    FOR EACH ROW EXECUTE FUNCTION baida_notify_case_event();

CREATE FUNCTION baida_notify_inbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('baida:' || TG_TABLE_SCHEMA, 'inbox:' || NEW.recipient);
    RETURN NULL;
END
$$;
CREATE TRIGGER inbox_notify AFTER INSERT ON inbox
    FOR EACH ROW EXECUTE FUNCTION baida_notify_inbox();
