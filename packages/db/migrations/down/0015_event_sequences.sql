DROP TRIGGER "audit_events_notify" ON "audit_events";--> statement-breakpoint
DROP FUNCTION "audit_events_notify"();--> statement-breakpoint
DROP TRIGGER "audit_events_append_only" ON "audit_events";--> statement-breakpoint
CREATE TRIGGER "audit_events_append_only" BEFORE UPDATE OR DELETE ON "audit_events" FOR EACH ROW EXECUTE FUNCTION "refuse_history_change"();--> statement-breakpoint
DROP FUNCTION "audit_events_number_only"();--> statement-breakpoint
DROP INDEX "audit_events_unsequenced_idx";--> statement-breakpoint
DROP INDEX "audit_events_sequence_key";--> statement-breakpoint
ALTER TABLE "audit_events" DROP COLUMN "txid";--> statement-breakpoint
ALTER TABLE "audit_events" DROP COLUMN "sequence";--> statement-breakpoint
DROP TABLE "event_sequences";
