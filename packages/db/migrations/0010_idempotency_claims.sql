-- Keys now belong to their caller (a user or an API key), not to an organization or an address, and
-- a kept answer holds no secret. The rows kept so far were scoped the old way and may hold an API
-- key's secret or an access token in `body`: none of them may survive, so every one goes (a repeat
-- within the day then runs as a new request).
DELETE FROM "idempotency_keys";--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD COLUMN "claim_id" uuid NOT NULL;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD COLUMN "renewed_at" timestamp (3) with time zone DEFAULT now() NOT NULL;
