ALTER TABLE "session_templates" ADD COLUMN "config_version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
-- Every change of a template moves its config_version, whatever the statement set.
CREATE FUNCTION "session_templates_config_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."config_version" := OLD."config_version" + 1;
  RETURN NEW;
END
$$;--> statement-breakpoint
CREATE TRIGGER "session_templates_config_version" BEFORE UPDATE ON "session_templates" FOR EACH ROW EXECUTE FUNCTION "session_templates_config_version"();--> statement-breakpoint
-- Every change of an agent moves the config_version of the active templates that list it, locked
-- in id order (two agent changes touching the same templates never wait for each other in a circle).
CREATE FUNCTION "agents_config_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "session_templates" SET "config_version" = "config_version" + 1
  WHERE "id" IN (
    SELECT "id" FROM "session_templates"
    WHERE "organization_id" = NEW."organization_id" AND "agent_ids" @> ARRAY[NEW."id"] AND "is_active"
    ORDER BY "id" FOR UPDATE
  );
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "agents_config_version" AFTER UPDATE ON "agents" FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION "agents_config_version"();
