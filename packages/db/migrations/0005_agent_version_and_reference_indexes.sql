ALTER TABLE "agents" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE INDEX "agents_handoff_targets_idx" ON "agents" USING gin ("handoff_targets") WHERE "agents"."is_active";--> statement-breakpoint
CREATE INDEX "session_templates_agent_ids_idx" ON "session_templates" USING gin ("agent_ids") WHERE "session_templates"."is_active";--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_version_check" CHECK ("agents"."version" > 0);