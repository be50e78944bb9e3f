ALTER TABLE "capture_reports" ADD COLUMN "key_id" text;--> statement-breakpoint
ALTER TABLE "capture_reports" ADD COLUMN "iv" "bytea";--> statement-breakpoint
ALTER TABLE "capture_reports" ADD COLUMN "tag" "bytea";--> statement-breakpoint
ALTER TABLE "persons" ADD COLUMN "id" uuid DEFAULT gen_random_uuid() NOT NULL;--> statement-breakpoint
ALTER TABLE "persons" ADD CONSTRAINT "persons_id_unique" UNIQUE("id");