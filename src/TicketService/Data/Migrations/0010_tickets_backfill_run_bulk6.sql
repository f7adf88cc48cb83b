-- The bulk backfill run that imported a ticket (docs/MIGRATION.md); NULL when live sync made (or adopted) it.
-- The phase report counts conversations imported in bulk and those synced live apart.
ALTER TABLE tickets ADD COLUMN backfill_run text;
