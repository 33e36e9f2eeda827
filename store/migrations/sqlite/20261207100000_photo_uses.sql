-- What each photo belongs to, so that one decision (http::photos) serves a photo only to those
-- who may see it: `public` (ledger evidence, catalog screenshots, a proposal's public answers),
-- `case:<id>` (a case whose record holds it: its readers), `upload:<SHA-256 of an upload key>`
-- (the client that uploaded it, until it is attached). Written with the case, transition,
-- ledger entry or upload that makes the use.
CREATE TABLE photo_uses (
    sha256      TEXT NOT NULL,
    use_key     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (sha256, use_key)
);

-- Photos stored before this table: every case whose record names one, every ledger entry
-- naming one as evidence and every catalog submission naming one as a screenshot.
INSERT OR IGNORE INTO photo_uses (sha256, use_key, created_at)
    SELECT p.sha256, 'case:' || c.id, p.created_at FROM photos p JOIN cases c ON instr(c.record, p.sha256) > 0;
INSERT OR IGNORE INTO photo_uses (sha256, use_key, created_at)
    SELECT p.sha256, 'public', p.created_at FROM photos p
    WHERE EXISTS (SELECT 1 FROM ledger_entries e WHERE instr(e.evidence, p.sha256) > 0)
       OR EXISTS (SELECT 1 FROM catalog_submissions s WHERE instr(s.screenshots, p.sha256) > 0);
