-- What each photo belongs to, so that one decision (http::photos) serves a photo only to those
-- who may see it: `public` (ledger evidence, catalog screenshots, a proposal's public answers),
-- `case:<id>` (a case whose record holds it: its readers), `upload:<SHA-256 of an upload key>`
-- (the client that uploaded it, until it is attached). Written with the case, transition,
-- ledger entry or upload that makes the use.
CREATE TABLE photo_uses (
    sha256      TEXT NOT NULL,
    use_key     TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (sha256, use_key)
);

-- Photos stored before this table: every case whose record names one, every ledger entry
-- naming one as evidence and every catalog submission naming one as a screenshot.
INSERT INTO photo_uses (sha256, use_key, created_at)
    SELECT p.sha256, 'case:' || c.id, p.created_at FROM photos p JOIN cases c ON strpos(c.record::text, p.sha256) > 0
    ON CONFLICT DO NOTHING;
INSERT INTO photo_uses (sha256, use_key, created_at)
    SELECT p.sha256, 'public', p.created_at FROM photos p
    WHERE EXISTS (SELECT 1 FROM ledger_entries e WHERE strpos(e.evidence::text, p.sha256) > 0)
       OR EXISTS (SELECT 1 FROM catalog_submissions s WHERE strpos(s.screenshots::text, p.sha256) > 0)
    ON CONFLICT DO NOTHING;
