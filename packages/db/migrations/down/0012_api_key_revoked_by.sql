ALTER TABLE "api_keys" DROP CONSTRAINT "api_keys_revoked_by_id_users_id_fk";
--> statement-breakpoint
ALTER TABLE "api_keys" DROP COLUMN "revoked_by_name";
--> statement-breakpoint
ALTER TABLE "api_keys" DROP COLUMN "revoked_by_id";
