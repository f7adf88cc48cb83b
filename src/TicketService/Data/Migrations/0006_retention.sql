-- Retention (docs/OPERATIONS.md, "Retention"): the purges walk these indexes oldest first, a batch at a time.
-- Partial, so rows whose payload is already gone are not walked again by the payload purge.
CREATE INDEX inbox_payload_by_age ON inbox (received_at) WHERE payload IS NOT NULL;
CREATE INDEX inbox_by_age ON inbox (received_at);
CREATE INDEX attempts_by_age ON attempts (finished_at);
