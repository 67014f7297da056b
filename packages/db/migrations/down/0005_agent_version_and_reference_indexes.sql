DROP INDEX "session_templates_agent_ids_idx";
--> statement-breakpoint
DROP INDEX "agents_handoff_targets_idx";
--> statement-breakpoint
ALTER TABLE "agents" DROP CONSTRAINT "agents_version_check";
--> statement-breakpoint
ALTER TABLE "agents" DROP COLUMN "version";
