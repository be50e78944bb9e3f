CREATE TABLE "stat_counts" (
	"kind" text NOT NULL,
	"grain" text NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"station_id" text NOT NULL,
	"status" text NOT NULL,
	"count" bigint NOT NULL,
	CONSTRAINT "stat_counts_grain_bucket_kind_station_id_status_pk" PRIMARY KEY("grain","bucket","kind","station_id","status")
);
--> statement-breakpoint

-- Counts per (kind, grain, bucket, station, status), kept by the database in the
-- transaction of every write to an entity row — inserts, status changes, deletes —
-- whatever code path makes it (flows, privacy jobs, a manual fix). Rows count by
-- creation time (bucket) and current status: a status change moves one row's count
-- from its old status to the new one in the same buckets.
-- SECURITY DEFINER: runs as the migrating owner, so the app role needs no write grant on
-- stat_counts (only SELECT) — a missing grant cannot fail a state change, nor can the app
-- role edit the counts by hand.
CREATE OR REPLACE FUNCTION "stat_counts_add"(p_kind text, p_created timestamptz, p_station text, p_status text, p_delta bigint) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  INSERT INTO "stat_counts" AS c ("kind", "grain", "bucket", "station_id", "status", "count")
  SELECT p_kind, g, date_trunc(g, p_created, 'UTC'), p_station, p_status, p_delta FROM unnest(ARRAY['hour', 'day', 'month']) AS g
  ON CONFLICT ("kind", "grain", "bucket", "station_id", "status") DO UPDATE SET "count" = c."count" + EXCLUDED."count";
$$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION "stat_counts_track_transaction"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN PERFORM "stat_counts_add"('transaction', OLD.created_at, '', OLD.status, -1); END IF;
  IF TG_OP <> 'DELETE' THEN PERFORM "stat_counts_add"('transaction', NEW.created_at, '', NEW.status, 1); END IF;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION "stat_counts_track_capture"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN PERFORM "stat_counts_add"('capture', OLD.created_at, OLD.station_id, OLD.status, -1); END IF;
  IF TG_OP <> 'DELETE' THEN PERFORM "stat_counts_add"('capture', NEW.created_at, NEW.station_id, NEW.status, 1); END IF;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "stat_counts_track_insert_delete" AFTER INSERT OR DELETE ON "transactions" FOR EACH ROW EXECUTE FUNCTION "stat_counts_track_transaction"();--> statement-breakpoint
-- Only when a counted column changes: the privacy jobs rewrite CPFs and text, never these.
CREATE TRIGGER "stat_counts_track_update" AFTER UPDATE OF "status", "created_at" ON "transactions" FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.created_at IS DISTINCT FROM NEW.created_at)
  EXECUTE FUNCTION "stat_counts_track_transaction"();--> statement-breakpoint
CREATE TRIGGER "stat_counts_track_insert_delete" AFTER INSERT OR DELETE ON "captures" FOR EACH ROW EXECUTE FUNCTION "stat_counts_track_capture"();--> statement-breakpoint
CREATE TRIGGER "stat_counts_track_update" AFTER UPDATE OF "status", "created_at", "station_id" ON "captures" FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.station_id IS DISTINCT FROM NEW.station_id)
  EXECUTE FUNCTION "stat_counts_track_capture"();--> statement-breakpoint
-- Recomputes every count from the rows (the backfill below; also a repair tool). Holds the
-- event-log lock (Store's EVENT_LOG_LOCK), so no state change interleaves with it.
CREATE OR REPLACE FUNCTION "stat_counts_rebuild"() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7340001);
  DELETE FROM "stat_counts";
  INSERT INTO "stat_counts" ("kind", "grain", "bucket", "station_id", "status", "count")
  SELECT 'transaction', g, date_trunc(g, t.created_at, 'UTC') AS b, '', t.status, count(*)
  FROM "transactions" t CROSS JOIN unnest(ARRAY['hour', 'day', 'month']) AS g
  GROUP BY g, b, t.status;
  INSERT INTO "stat_counts" ("kind", "grain", "bucket", "station_id", "status", "count")
  SELECT 'capture', g, date_trunc(g, c.created_at, 'UTC') AS b, c.station_id, c.status, count(*)
  FROM "captures" c CROSS JOIN unnest(ARRAY['hour', 'day', 'month']) AS g
  GROUP BY g, b, c.station_id, c.status;
END
$$;--> statement-breakpoint
SELECT "stat_counts_rebuild"();
