CREATE TABLE "audit_events" (
	"seq" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_events_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"actor_type" text NOT NULL,
	"actor_id" uuid,
	"actor_name" text NOT NULL,
	"action" text NOT NULL,
	"resource_type" text NOT NULL,
	"resource_id" uuid NOT NULL,
	"resource_name" text NOT NULL,
	"version" integer,
	"request_id" text NOT NULL,
	CONSTRAINT "audit_events_id_unique" UNIQUE("id"),
	CONSTRAINT "audit_events_action_check" CHECK ("audit_events"."action" in ('agent.created', 'agent.cloned', 'agent.updated', 'agent.deleted', 'agent.restored', 'agent.imported', 'sessionTemplate.created', 'sessionTemplate.cloned', 'sessionTemplate.updated', 'sessionTemplate.deleted', 'sessionTemplate.restored', 'sessionTemplate.imported', 'member.added', 'member.updated', 'apiKey.created', 'apiKey.revoked', 'config.imported')),
	CONSTRAINT "audit_events_resource_type_check" CHECK ("audit_events"."resource_type" in ('agent', 'sessionTemplate', 'member', 'apiKey', 'config')),
	CONSTRAINT "audit_events_actor_type_check" CHECK ("audit_events"."actor_type" in ('user', 'apiKey', 'system'))
);
--> statement-breakpoint
CREATE TABLE "revisions" (
	"organization_id" uuid NOT NULL,
	"resource_type" text NOT NULL,
	"resource_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"action" text NOT NULL,
	"actor_type" text NOT NULL,
	"actor_id" uuid,
	"actor_name" text NOT NULL,
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"changes" jsonb NOT NULL,
	"snapshot" jsonb NOT NULL,
	"agent_versions" jsonb,
	CONSTRAINT "revisions_resource_id_version_pk" PRIMARY KEY("resource_id","version"),
	CONSTRAINT "revisions_resource_type_check" CHECK ("revisions"."resource_type" in ('agent', 'sessionTemplate')),
	CONSTRAINT "revisions_action_check" CHECK ("revisions"."action" in ('created', 'cloned', 'updated', 'deleted', 'restored', 'imported')),
	CONSTRAINT "revisions_actor_type_check" CHECK ("revisions"."actor_type" in ('user', 'apiKey', 'system'))
);
--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "revisions" ADD CONSTRAINT "revisions_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_events_organization_idx" ON "audit_events" USING btree ("organization_id","seq" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "audit_events_resource_idx" ON "audit_events" USING btree ("organization_id","resource_id","seq" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "audit_events_actor_idx" ON "audit_events" USING btree ("organization_id","actor_id","seq" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "agents_organization_deleted_list_idx" ON "agents" USING btree ("organization_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE not "agents"."is_active";--> statement-breakpoint
CREATE INDEX "session_templates_organization_deleted_list_idx" ON "session_templates" USING btree ("organization_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE not "session_templates"."is_active";--> statement-breakpoint
CREATE FUNCTION "refuse_history_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: rows are never edited or deleted', TG_TABLE_NAME;
END
$$;--> statement-breakpoint
CREATE TRIGGER "revisions_append_only" BEFORE UPDATE OR DELETE ON "revisions" FOR EACH ROW EXECUTE FUNCTION "refuse_history_change"();--> statement-breakpoint
CREATE TRIGGER "audit_events_append_only" BEFORE UPDATE OR DELETE ON "audit_events" FOR EACH ROW EXECUTE FUNCTION "refuse_history_change"();--> statement-breakpoint
-- History is never empty: every agent and template that exists gets a revision at its current
-- version, action `created`, actor `system`, its snapshot in the API's shape.
INSERT INTO "revisions" ("organization_id", "resource_type", "resource_id", "version", "action", "actor_type", "actor_id", "actor_name", "at", "changes", "snapshot")
SELECT a."organization_id", 'agent', a."id", a."version", 'created', 'system', NULL, 'system', a."updated_at", '[]'::jsonb,
  jsonb_build_object(
    'id', a."id", 'organizationId', a."organization_id", 'name', a."name", 'instructions', a."instructions",
    'model', a."model", 'voice', a."voice", 'handoffTargets', to_jsonb(a."handoff_targets"), 'tools', to_jsonb(a."tools"),
    'modality', a."modality", 'panels', to_jsonb(a."panels"), 'isActive', a."is_active", 'version', a."version",
    'createdAt', to_char(a."created_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'updatedAt', to_char(a."updated_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
FROM "agents" a;--> statement-breakpoint
INSERT INTO "revisions" ("organization_id", "resource_type", "resource_id", "version", "action", "actor_type", "actor_id", "actor_name", "at", "changes", "snapshot", "agent_versions")
SELECT t."organization_id", 'sessionTemplate', t."id", t."version", 'created', 'system', NULL, 'system', t."updated_at", '[]'::jsonb,
  jsonb_build_object(
    'id', t."id", 'organizationId', t."organization_id", 'name', t."name", 'description', t."description",
    'agentIds', to_jsonb(t."agent_ids"), 'initialAgentId', t."initial_agent_id", 'modalityProfile', t."modality_profile",
    'enabledPanels', to_jsonb(t."enabled_panels"), 'maxDurationSeconds', t."max_duration_seconds",
    'idleTimeoutSeconds', t."idle_timeout_seconds", 'isActive', t."is_active", 'version', t."version",
    'createdAt', to_char(t."created_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'updatedAt', to_char(t."updated_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
  (SELECT coalesce(jsonb_object_agg(a."id", a."version"), '{}'::jsonb) FROM "agents" a WHERE a."id" = ANY (t."agent_ids"))
FROM "session_templates" t;
