DROP INDEX "session_templates_organization_deleted_list_idx";
--> statement-breakpoint
DROP INDEX "agents_organization_deleted_list_idx";
--> statement-breakpoint
DROP TABLE "audit_events";
--> statement-breakpoint
DROP TABLE "revisions";
--> statement-breakpoint
DROP FUNCTION "refuse_history_change"();
