ALTER TABLE "captures" ADD COLUMN "send_claimed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "upstream_id" text;--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "upstream_id" text;--> statement-breakpoint
-- Rows from before intent rows: their id was the upstream's id.
UPDATE "messages" SET "upstream_id" = "id"::text WHERE "upstream_id" IS NULL;--> statement-breakpoint
UPDATE "transactions" SET "upstream_id" = "id"::text WHERE "upstream_id" IS NULL;
