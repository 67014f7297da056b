-- The config_version of templates moves once per statement that changes agents, not once per agent
-- row: an import that updates 500 agents in one statement runs this once (a row trigger ran 500
-- cascades). The active templates listing any agent whose row changed are locked in id order (two
-- agent changes touching the same templates never wait for each other in a circle) and moved.
DROP TRIGGER "agents_config_version" ON "agents";--> statement-breakpoint
CREATE OR REPLACE FUNCTION "agents_config_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "session_templates" SET "config_version" = "config_version" + 1
  WHERE "id" IN (
    SELECT t."id" FROM "session_templates" t
    WHERE t."is_active"
      AND t."organization_id" IN (SELECT "organization_id" FROM "changed_agents")
      AND t."agent_ids" && ARRAY(
        SELECT n."id" FROM "changed_agents" n JOIN "agents_before" o ON o."id" = n."id"
        WHERE o IS DISTINCT FROM n
      )
    ORDER BY t."id" FOR UPDATE
  );
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "agents_config_version" AFTER UPDATE ON "agents"
  REFERENCING OLD TABLE AS "agents_before" NEW TABLE AS "changed_agents"
  FOR EACH STATEMENT EXECUTE FUNCTION "agents_config_version"();
