CREATE TABLE "stations" (
	"id" text PRIMARY KEY NOT NULL,
	"online" boolean,
	"login_status" text,
	"login_status_code" text,
	"operator_cpf" text,
	"busy" boolean DEFAULT false NOT NULL,
	"current_capture_id" uuid,
	"last_checked_at" timestamp with time zone,
	"last_changed_at" timestamp with time zone,
	"version" bigint DEFAULT 0 NOT NULL
);
