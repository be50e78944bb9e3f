ALTER TABLE "captures" ADD COLUMN "version" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "version" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE "captures" c SET "version" = COALESCE((SELECT max(e."seq") FROM "events" e WHERE e."topic" = 'capture' AND e."entity_id" = c."id"::text), 0);--> statement-breakpoint
UPDATE "transactions" t SET "version" = COALESCE((SELECT max(e."seq") FROM "events" e WHERE e."topic" = 'transaction' AND e."entity_id" = t."id"::text), 0);
