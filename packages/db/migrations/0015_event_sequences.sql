CREATE TABLE "event_sequences" (
	"organization_id" uuid PRIMARY KEY NOT NULL,
	"last" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "sequence" bigint;--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "txid" "xid8" DEFAULT pg_current_xact_id() NOT NULL;--> statement-breakpoint
ALTER TABLE "event_sequences" ADD CONSTRAINT "event_sequences_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "audit_events_sequence_key" ON "audit_events" USING btree ("organization_id","sequence");--> statement-breakpoint
CREATE INDEX "audit_events_unsequenced_idx" ON "audit_events" USING btree ("txid","seq") WHERE "audit_events"."sequence" is null;--> statement-breakpoint
-- The log stays append-only, but for one write: the sequencer numbering an event (null → a number, nothing else).
CREATE FUNCTION "audit_events_number_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD."sequence" IS NULL AND NEW."sequence" IS NOT NULL
     AND (to_jsonb(NEW) - 'sequence') = (to_jsonb(OLD) - 'sequence') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% is append-only: rows are never edited or deleted', TG_TABLE_NAME;
END
$$;--> statement-breakpoint
DROP TRIGGER "audit_events_append_only" ON "audit_events";--> statement-breakpoint
CREATE TRIGGER "audit_events_append_only" BEFORE UPDATE OR DELETE ON "audit_events" FOR EACH ROW EXECUTE FUNCTION "audit_events_number_only"();--> statement-breakpoint
-- What exists is numbered in the order it was written.
UPDATE "audit_events" SET "sequence" = numbered."n"
FROM (SELECT "seq", row_number() OVER (PARTITION BY "organization_id" ORDER BY "seq") AS "n" FROM "audit_events") numbered
WHERE "audit_events"."seq" = numbered."seq";--> statement-breakpoint
INSERT INTO "event_sequences" ("organization_id", "last")
SELECT "organization_id", max("sequence") FROM "audit_events" GROUP BY "organization_id";--> statement-breakpoint
-- Wakes the sequencer of every instance when events commit (a notification is sent at commit, once per transaction).
CREATE FUNCTION "audit_events_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('switchboard_events', '');
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "audit_events_notify" AFTER INSERT ON "audit_events" FOR EACH STATEMENT EXECUTE FUNCTION "audit_events_notify"();
