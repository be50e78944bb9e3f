CREATE TABLE "capture_reports" (
	"capture_id" uuid PRIMARY KEY NOT NULL,
	"pdf" "bytea" NOT NULL,
	"fetched_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "captures" (
	"id" uuid PRIMARY KEY NOT NULL,
	"station_id" text NOT NULL,
	"cpf" text NOT NULL,
	"mode" text NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"auto_advance" boolean NOT NULL,
	"enroll_if_not_found" boolean NOT NULL,
	"tguid" text,
	"result" text,
	"send_outcome" text,
	"remote_url" text,
	"email" text,
	"detail" text,
	"report_size" integer,
	"report_fetched_at" timestamp with time zone,
	"started_by" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "captures_station_status_idx" ON "captures" USING btree ("station_id","status");--> statement-breakpoint
CREATE INDEX "captures_cpf_idx" ON "captures" USING btree ("cpf","created_at");--> statement-breakpoint
CREATE INDEX "captures_created_idx" ON "captures" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "captures_tguid_idx" ON "captures" USING btree ("tguid");