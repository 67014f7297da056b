DROP INDEX "agents_organization_list_idx";
--> statement-breakpoint
DROP INDEX "session_templates_organization_list_idx";
--> statement-breakpoint
CREATE INDEX "agents_organization_list_idx" ON "agents" USING btree ("organization_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE "agents"."is_active";
--> statement-breakpoint
CREATE INDEX "session_templates_organization_list_idx" ON "session_templates" USING btree ("organization_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE "session_templates"."is_active";
