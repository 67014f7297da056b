CREATE TABLE "deployments" (
	"environment_id" uuid NOT NULL,
	"template_id" uuid NOT NULL,
	"organization_id" uuid NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"stable_template_version" integer NOT NULL,
	"stable_agent_versions" jsonb NOT NULL,
	"canary_template_version" integer,
	"canary_agent_versions" jsonb,
	"canary_percent" integer,
	"deployed_by_type" text NOT NULL,
	"deployed_by_id" uuid,
	"deployed_by_name" text NOT NULL,
	"deployed_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"note" text,
	CONSTRAINT "deployments_environment_id_template_id_pk" PRIMARY KEY("environment_id","template_id"),
	CONSTRAINT "deployments_canary_check" CHECK (("deployments"."canary_percent" is null and "deployments"."canary_template_version" is null and "deployments"."canary_agent_versions" is null)
        or ("deployments"."canary_percent" between 1 and 99 and "deployments"."canary_template_version" is not null and "deployments"."canary_agent_versions" is not null)),
	CONSTRAINT "deployments_version_check" CHECK ("deployments"."version" > 0),
	CONSTRAINT "deployments_deployed_by_type_check" CHECK ("deployments"."deployed_by_type" in ('user', 'apiKey', 'system'))
);
--> statement-breakpoint
CREATE TABLE "environments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"name" text NOT NULL,
	"follows_latest" boolean DEFAULT false NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "environments_name_check" CHECK ("environments"."name" ~ '^[a-z0-9-]{1,40}$')
);
--> statement-breakpoint
ALTER TABLE "audit_events" DROP CONSTRAINT "audit_events_action_check";--> statement-breakpoint
ALTER TABLE "audit_events" DROP CONSTRAINT "audit_events_resource_type_check";--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "environment_id" uuid;--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_template_id_session_templates_id_fk" FOREIGN KEY ("template_id") REFERENCES "public"."session_templates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "environments" ADD CONSTRAINT "environments_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "deployments_template_idx" ON "deployments" USING btree ("template_id");--> statement-breakpoint
CREATE UNIQUE INDEX "environments_organization_name_key" ON "environments" USING btree ("organization_id","name");--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_action_check" CHECK ("audit_events"."action" in ('agent.created', 'agent.cloned', 'agent.updated', 'agent.deleted', 'agent.restored', 'agent.imported', 'sessionTemplate.created', 'sessionTemplate.cloned', 'sessionTemplate.updated', 'sessionTemplate.deleted', 'sessionTemplate.restored', 'sessionTemplate.imported', 'member.added', 'member.updated', 'apiKey.created', 'apiKey.revoked', 'config.imported', 'environment.created', 'environment.updated', 'environment.deleted', 'deployment.deployed', 'deployment.promoted', 'deployment.canaryPromoted', 'deployment.canaryAborted', 'deployment.undeployed'));--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_resource_type_check" CHECK ("audit_events"."resource_type" in ('agent', 'sessionTemplate', 'member', 'apiKey', 'config', 'environment', 'deployment'));--> statement-breakpoint
-- Every organization has production, following latest: the existing ones now, every new one as it is created.
INSERT INTO "environments" ("organization_id", "name", "follows_latest", "created_at", "updated_at")
SELECT "id", 'production', true, "created_at", "created_at" FROM "organizations";--> statement-breakpoint
CREATE FUNCTION "organization_production_environment"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "environments" ("organization_id", "name", "follows_latest") VALUES (NEW."id", 'production', true);
  RETURN NEW;
END $$;--> statement-breakpoint
CREATE TRIGGER "organizations_production_environment" AFTER INSERT ON "organizations"
  FOR EACH ROW EXECUTE FUNCTION "organization_production_environment"();
