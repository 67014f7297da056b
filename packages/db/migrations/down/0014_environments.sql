DROP TRIGGER "organizations_production_environment" ON "organizations";--> statement-breakpoint
DROP FUNCTION "organization_production_environment"();--> statement-breakpoint
-- The log is append-only; going back to before environments existed drops their events.
ALTER TABLE "audit_events" DISABLE TRIGGER "audit_events_append_only";--> statement-breakpoint
DELETE FROM "audit_events" WHERE "resource_type" IN ('environment', 'deployment');--> statement-breakpoint
ALTER TABLE "audit_events" ENABLE TRIGGER "audit_events_append_only";--> statement-breakpoint
ALTER TABLE "audit_events" DROP CONSTRAINT "audit_events_action_check";--> statement-breakpoint
ALTER TABLE "audit_events" DROP CONSTRAINT "audit_events_resource_type_check";--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_action_check" CHECK ("audit_events"."action" in ('agent.created', 'agent.cloned', 'agent.updated', 'agent.deleted', 'agent.restored', 'agent.imported', 'sessionTemplate.created', 'sessionTemplate.cloned', 'sessionTemplate.updated', 'sessionTemplate.deleted', 'sessionTemplate.restored', 'sessionTemplate.imported', 'member.added', 'member.updated', 'apiKey.created', 'apiKey.revoked', 'config.imported'));--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_resource_type_check" CHECK ("audit_events"."resource_type" in ('agent', 'sessionTemplate', 'member', 'apiKey', 'config'));--> statement-breakpoint
ALTER TABLE "api_keys" DROP COLUMN "environment_id";--> statement-breakpoint
DROP TABLE "deployments";--> statement-breakpoint
DROP TABLE "environments";
