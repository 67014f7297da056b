ALTER TABLE "api_keys" ADD COLUMN "revoked_by_id" uuid;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "revoked_by_name" text;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_revoked_by_id_users_id_fk" FOREIGN KEY ("revoked_by_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- Keys revoked before this was kept: who revoked them is in the audit log.
UPDATE "api_keys" k SET "revoked_by_id" = e."actor_id", "revoked_by_name" = e."actor_name"
FROM "audit_events" e
WHERE k."revoked_at" IS NOT NULL AND e."action" = 'apiKey.revoked' AND e."resource_id" = k."id"
  AND e."organization_id" = k."organization_id";
