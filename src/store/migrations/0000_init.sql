CREATE TABLE "events" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"topic" text NOT NULL,
	"entity_id" text NOT NULL,
	"cpf" text,
	"type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" uuid PRIMARY KEY NOT NULL,
	"cpf" text,
	"kind" text NOT NULL,
	"title" text NOT NULL,
	"content" text NOT NULL,
	"sender_cnpj" text NOT NULL,
	"sender_name" text NOT NULL,
	"status" text NOT NULL,
	"sent_by" text,
	"created_at" timestamp with time zone NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "persons" (
	"cpf" text PRIMARY KEY NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "transactions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"cpf" text NOT NULL,
	"status" text NOT NULL,
	"api_version" text NOT NULL,
	"kind" text NOT NULL,
	"category" text,
	"reason" text NOT NULL,
	"requester" jsonb NOT NULL,
	"seal_reuse_window_minutes" integer,
	"seal" jsonb,
	"response" jsonb,
	"cancellation" jsonb,
	"auto_authorized" boolean DEFAULT false NOT NULL,
	"requested_by" text,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "events_topic_seq_idx" ON "events" USING btree ("topic","seq");--> statement-breakpoint
CREATE INDEX "events_entity_seq_idx" ON "events" USING btree ("entity_id","seq");--> statement-breakpoint
CREATE INDEX "events_cpf_seq_idx" ON "events" USING btree ("cpf","seq");--> statement-breakpoint
CREATE INDEX "messages_cpf_idx" ON "messages" USING btree ("cpf","created_at");--> statement-breakpoint
CREATE INDEX "transactions_cpf_idx" ON "transactions" USING btree ("cpf","created_at");--> statement-breakpoint
CREATE INDEX "transactions_status_idx" ON "transactions" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "transactions_created_idx" ON "transactions" USING btree ("created_at","id");