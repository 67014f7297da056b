DROP TABLE "audit_events";
--> statement-breakpoint
DROP TABLE "revisions";
--> statement-breakpoint
DROP FUNCTION "refuse_history_change"();
