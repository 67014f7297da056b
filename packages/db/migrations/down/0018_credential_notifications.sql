DROP TRIGGER "api_keys_notify_changed" ON "api_keys";--> statement-breakpoint
DROP FUNCTION "api_keys_notify_changed"();--> statement-breakpoint
DROP TRIGGER "users_notify_changed" ON "users";--> statement-breakpoint
DROP FUNCTION "users_notify_changed"();
