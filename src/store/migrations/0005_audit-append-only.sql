ALTER TABLE "audit_log" ALTER COLUMN "result" SET DEFAULT 'PENDING';--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "finished_at" timestamp with time zone;--> statement-breakpoint
UPDATE "audit_log" SET "finished_at" = "at" WHERE "finished_at" IS NULL;--> statement-breakpoint
-- Append-only, enforced by the database itself (not only by the absence of code paths):
-- no DELETE; an UPDATE only for the one PENDING -> result transition (target may then be
-- filled in from the entity produced), or for the retention job's pseudonymisation of
-- `target`, which must announce itself with SET LOCAL idgw.audit_pseudonymise = 'on'.
CREATE OR REPLACE FUNCTION "audit_log_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'audit_log is append-only (DELETE refused)' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.actor IS NOT DISTINCT FROM OLD.actor
     AND NEW.role IS NOT DISTINCT FROM OLD.role AND NEW.action = OLD.action AND NEW.ip IS NOT DISTINCT FROM OLD.ip THEN
    IF OLD.result = 'PENDING' AND NEW.result <> 'PENDING' AND OLD.finished_at IS NULL AND NEW.finished_at IS NOT NULL THEN
      RETURN NEW;
    END IF;
    IF coalesce(current_setting('idgw.audit_pseudonymise', true), '') = 'on'
       AND NEW.result = OLD.result AND NEW.finished_at IS NOT DISTINCT FROM OLD.finished_at THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only (UPDATE refused)' USING ERRCODE = 'insufficient_privilege';
END
$$;--> statement-breakpoint
CREATE TRIGGER "audit_log_append_only" BEFORE UPDATE OR DELETE ON "audit_log" FOR EACH ROW EXECUTE FUNCTION "audit_log_append_only"();
