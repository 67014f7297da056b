ALTER TABLE "audit_events" DISABLE TRIGGER "audit_events_append_only";--> statement-breakpoint
DELETE FROM "audit_events" WHERE "action" IN ('deployment.rolledBack', 'deployment.canaryRamped', 'webhook.secretRotated');--> statement-breakpoint
ALTER TABLE "audit_events" ENABLE TRIGGER "audit_events_append_only";--> statement-breakpoint
ALTER TABLE "audit_events" DROP CONSTRAINT "audit_events_action_check";--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_action_check" CHECK ("audit_events"."action" in ('agent.created', 'agent.cloned', 'agent.updated', 'agent.deleted', 'agent.restored', 'agent.imported', 'sessionTemplate.created', 'sessionTemplate.cloned', 'sessionTemplate.updated', 'sessionTemplate.deleted', 'sessionTemplate.restored', 'sessionTemplate.imported', 'member.added', 'member.updated', 'apiKey.created', 'apiKey.revoked', 'config.imported', 'environment.created', 'environment.updated', 'environment.deleted', 'deployment.deployed', 'deployment.promoted', 'deployment.canaryPromoted', 'deployment.canaryAborted', 'deployment.undeployed', 'webhook.created', 'webhook.updated', 'webhook.deleted', 'webhook.disabled'));--> statement-breakpoint
ALTER TABLE "audit_events" DROP COLUMN "release";--> statement-breakpoint
DROP INDEX "audit_events_unsequenced_idx";--> statement-breakpoint
CREATE INDEX "audit_events_unsequenced_idx" ON "audit_events" USING btree ("txid","seq") WHERE "audit_events"."sequence" is null;--> statement-breakpoint
DROP TABLE "release_records";
