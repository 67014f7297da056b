-- Kept answers of the new shape cannot be told apart from the old; they go with the columns.
DELETE FROM "idempotency_keys";
--> statement-breakpoint
ALTER TABLE "idempotency_keys" DROP COLUMN "renewed_at";
--> statement-breakpoint
ALTER TABLE "idempotency_keys" DROP COLUMN "claim_id";
