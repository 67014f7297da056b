CREATE TABLE "release_records" (
	"environment_id" uuid NOT NULL,
	"template_id" uuid NOT NULL,
	"number" integer NOT NULL,
	"organization_id" uuid NOT NULL,
	"action" text NOT NULL,
	"stable_template_version" integer,
	"stable_agent_versions" jsonb,
	"canary_template_version" integer,
	"canary_agent_versions" jsonb,
	"canary_percent" integer,
	"actor_type" text NOT NULL,
	"actor_id" uuid,
	"actor_name" text NOT NULL,
	"at" timestamp (3) with time zone DEFAULT clock_timestamp() NOT NULL,
	"note" text,
	"reason" text,
	CONSTRAINT "release_records_environment_id_template_id_number_pk" PRIMARY KEY("environment_id","template_id","number"),
	CONSTRAINT "release_records_number_check" CHECK ("release_records"."number" > 0),
	CONSTRAINT "release_records_action_check" CHECK ("release_records"."action" in ('deployed', 'canaryStarted', 'canaryRamped', 'canaryPromoted', 'canaryAborted', 'rolledBack', 'promoted', 'undeployed', 'pinned', 'followedLatest')),
	CONSTRAINT "release_records_actor_type_check" CHECK ("release_records"."actor_type" in ('user', 'apiKey', 'system')),
	CONSTRAINT "release_records_stable_check" CHECK (("release_records"."stable_template_version" is null) = ("release_records"."stable_agent_versions" is null)),
	CONSTRAINT "release_records_canary_check" CHECK (("release_records"."canary_percent" is null and "release_records"."canary_template_version" is null and "release_records"."canary_agent_versions" is null)
        or ("release_records"."canary_percent" between 1 and 99 and "release_records"."canary_template_version" is not null and "release_records"."canary_agent_versions" is not null
            and "release_records"."stable_template_version" is not null))
);
--> statement-breakpoint
ALTER TABLE "audit_events" DROP CONSTRAINT "audit_events_action_check";--> statement-breakpoint
DROP INDEX "audit_events_unsequenced_idx";--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "release" jsonb;--> statement-breakpoint
ALTER TABLE "release_records" ADD CONSTRAINT "release_records_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "release_records" ADD CONSTRAINT "release_records_template_id_session_templates_id_fk" FOREIGN KEY ("template_id") REFERENCES "public"."session_templates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "release_records" ADD CONSTRAINT "release_records_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "release_records_environment_at_idx" ON "release_records" USING btree ("environment_id","at");--> statement-breakpoint
CREATE INDEX "audit_events_unsequenced_idx" ON "audit_events" USING btree ("seq") WHERE "audit_events"."sequence" is null;--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_action_check" CHECK ("audit_events"."action" in ('agent.created', 'agent.cloned', 'agent.updated', 'agent.deleted', 'agent.restored', 'agent.imported', 'sessionTemplate.created', 'sessionTemplate.cloned', 'sessionTemplate.updated', 'sessionTemplate.deleted', 'sessionTemplate.restored', 'sessionTemplate.imported', 'member.added', 'member.updated', 'apiKey.created', 'apiKey.revoked', 'config.imported', 'environment.created', 'environment.updated', 'environment.deleted', 'deployment.deployed', 'deployment.promoted', 'deployment.canaryPromoted', 'deployment.canaryAborted', 'deployment.undeployed', 'deployment.rolledBack', 'deployment.canaryRamped', 'webhook.created', 'webhook.updated', 'webhook.deleted', 'webhook.disabled', 'webhook.secretRotated'));--> statement-breakpoint
CREATE TRIGGER "release_records_append_only" BEFORE UPDATE ON "release_records" FOR EACH ROW EXECUTE FUNCTION "refuse_history_change"();--> statement-breakpoint
-- Every existing deployment's history starts with what it serves now, numbered with its version.
INSERT INTO "release_records" ("environment_id", "template_id", "number", "organization_id", "action",
  "stable_template_version", "stable_agent_versions", "canary_template_version", "canary_agent_versions",
  "canary_percent", "actor_type", "actor_id", "actor_name", "at", "note")
SELECT "environment_id", "template_id", "version", "organization_id",
  CASE WHEN "canary_percent" IS NULL THEN 'deployed' ELSE 'canaryStarted' END,
  "stable_template_version", "stable_agent_versions", "canary_template_version", "canary_agent_versions",
  "canary_percent", "deployed_by_type", "deployed_by_id", "deployed_by_name", "deployed_at", "note"
FROM "deployments";
