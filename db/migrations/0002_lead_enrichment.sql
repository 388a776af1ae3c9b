-- leadrelay schema, version 2: enrichment before routing (SPEC 5).
-- The lead's payload holds the lead as routed (with the company fields enrichment filled in); this
-- column says which fields were filled and from where (company table, webhook), and what each
-- step did (found, missed, timed out …), as JSON. NULL: not enriched (no enrichment configured, or
-- the lead was stored before this version).
ALTER TABLE leads ADD COLUMN enrichment TEXT;
