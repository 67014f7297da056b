DROP TRIGGER "agents_config_version" ON "agents";
--> statement-breakpoint
DROP FUNCTION "agents_config_version"();
--> statement-breakpoint
DROP TRIGGER "session_templates_config_version" ON "session_templates";
--> statement-breakpoint
DROP FUNCTION "session_templates_config_version"();
--> statement-breakpoint
ALTER TABLE "session_templates" DROP COLUMN "config_version";
