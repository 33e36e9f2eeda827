-- The district's review of a catalog submission is a case of the built-in `catalog-review`
-- app (runtime/src/catalog/review-app.json), run by the engine like any case: its timeline,
-- SLA clock and workbench inbox are a case's. A submission's status is read from its review
-- case (closed with decision `approve` = published). Submissions reviewed before this
-- migration have no review case: their stored status and `catalog_events` stay their record.
ALTER TABLE catalog_submissions ADD COLUMN review_case_id TEXT;
