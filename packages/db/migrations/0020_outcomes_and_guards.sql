CREATE TABLE "outcome_minutes" (
	"environment_id" uuid NOT NULL,
	"template_id" uuid NOT NULL,
	"arm" text NOT NULL,
	"release_key" text NOT NULL,
	"minute" timestamp (3) with time zone NOT NULL,
	"organization_id" uuid NOT NULL,
	"template_version" integer NOT NULL,
	"agent_versions" jsonb NOT NULL,
	"sessions" integer NOT NULL,
	"failed" integer NOT NULL,
	"latency" integer[] NOT NULL,
	"score_sum" double precision NOT NULL,
	"score_count" integer NOT NULL,
	CONSTRAINT "outcome_minutes_environment_id_template_id_arm_release_key_minute_pk" PRIMARY KEY("environment_id","template_id","arm","release_key","minute"),
	CONSTRAINT "outcome_minutes_arm_check" CHECK ("outcome_minutes"."arm" in ('latest', 'stable', 'canary')),
	CONSTRAINT "outcome_minutes_counts_check" CHECK ("outcome_minutes"."failed" between 0 and "outcome_minutes"."sessions")
);
--> statement-breakpoint
ALTER TABLE "audit_events" DROP CONSTRAINT "audit_events_action_check";--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "canary_guard" jsonb;--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "guard" jsonb;--> statement-breakpoint
ALTER TABLE "outcome_minutes" ADD CONSTRAINT "outcome_minutes_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outcome_minutes" ADD CONSTRAINT "outcome_minutes_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "outcome_minutes_minute_idx" ON "outcome_minutes" USING btree ("minute");--> statement-breakpoint
CREATE INDEX "deployments_watched_idx" ON "deployments" USING btree ("environment_id") WHERE "deployments"."canary_guard"->>'status' = 'watching';--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_guard_check" CHECK ("deployments"."canary_guard" is null or "deployments"."canary_percent" is not null);--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_action_check" CHECK ("audit_events"."action" in ('agent.created', 'agent.cloned', 'agent.updated', 'agent.deleted', 'agent.restored', 'agent.imported', 'sessionTemplate.created', 'sessionTemplate.cloned', 'sessionTemplate.updated', 'sessionTemplate.deleted', 'sessionTemplate.restored', 'sessionTemplate.imported', 'member.added', 'member.updated', 'apiKey.created', 'apiKey.revoked', 'config.imported', 'environment.created', 'environment.updated', 'environment.deleted', 'deployment.deployed', 'deployment.promoted', 'deployment.canaryPromoted', 'deployment.canaryAborted', 'deployment.undeployed', 'deployment.rolledBack', 'deployment.canaryRamped', 'deployment.guardChanged', 'webhook.created', 'webhook.updated', 'webhook.deleted', 'webhook.disabled', 'webhook.secretRotated'));