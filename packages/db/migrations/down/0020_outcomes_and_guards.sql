ALTER TABLE "audit_events" DISABLE TRIGGER "audit_events_append_only";--> statement-breakpoint
DELETE FROM "audit_events" WHERE "action" = 'deployment.guardChanged';--> statement-breakpoint
ALTER TABLE "audit_events" ENABLE TRIGGER "audit_events_append_only";--> statement-breakpoint
ALTER TABLE "audit_events" DROP CONSTRAINT "audit_events_action_check";--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_action_check" CHECK ("audit_events"."action" in ('agent.created', 'agent.cloned', 'agent.updated', 'agent.deleted', 'agent.restored', 'agent.imported', 'sessionTemplate.created', 'sessionTemplate.cloned', 'sessionTemplate.updated', 'sessionTemplate.deleted', 'sessionTemplate.restored', 'sessionTemplate.imported', 'member.added', 'member.updated', 'apiKey.created', 'apiKey.revoked', 'config.imported', 'environment.created', 'environment.updated', 'environment.deleted', 'deployment.deployed', 'deployment.promoted', 'deployment.canaryPromoted', 'deployment.canaryAborted', 'deployment.undeployed', 'deployment.rolledBack', 'deployment.canaryRamped', 'webhook.created', 'webhook.updated', 'webhook.deleted', 'webhook.disabled', 'webhook.secretRotated'));--> statement-breakpoint
ALTER TABLE "audit_events" DROP COLUMN "guard";--> statement-breakpoint
ALTER TABLE "deployments" DROP CONSTRAINT "deployments_guard_check";--> statement-breakpoint
DROP INDEX "deployments_watched_idx";--> statement-breakpoint
ALTER TABLE "deployments" DROP COLUMN "canary_guard";--> statement-breakpoint
DROP TABLE "outcome_minutes";
