DROP TRIGGER "agents_config_version" ON "agents";
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "agents_config_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "session_templates" SET "config_version" = "config_version" + 1
  WHERE "id" IN (
    SELECT "id" FROM "session_templates"
    WHERE "organization_id" = NEW."organization_id" AND "agent_ids" @> ARRAY[NEW."id"] AND "is_active"
    ORDER BY "id" FOR UPDATE
  );
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "agents_config_version" AFTER UPDATE ON "agents" FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION "agents_config_version"();
