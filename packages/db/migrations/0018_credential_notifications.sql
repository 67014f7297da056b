-- Tells every instance to forget a user or an API key it keeps in its cache, the moment a change to
-- it commits (a notification is delivered at commit, and not at all on rollback): `user:<id>` when a
-- user's role, activity, name or email changes; `key:<secret hash>` when a key is revoked or changed.
CREATE FUNCTION "users_notify_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('switchboard_forget', 'user:' || NEW.id);
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "users_notify_changed" AFTER UPDATE ON "users" FOR EACH ROW
  WHEN ((OLD.role, OLD.is_active, OLD.full_name, OLD.email, OLD.organization_id)
    IS DISTINCT FROM (NEW.role, NEW.is_active, NEW.full_name, NEW.email, NEW.organization_id))
  EXECUTE FUNCTION "users_notify_changed"();--> statement-breakpoint
CREATE FUNCTION "api_keys_notify_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('switchboard_forget', 'key:' || NEW.secret_hash);
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "api_keys_notify_changed" AFTER UPDATE ON "api_keys" FOR EACH ROW
  WHEN ((OLD.revoked_at, OLD.expires_at, OLD.scope, OLD.name, OLD.environment_id, OLD.secret_hash)
    IS DISTINCT FROM (NEW.revoked_at, NEW.expires_at, NEW.scope, NEW.name, NEW.environment_id, NEW.secret_hash))
  EXECUTE FUNCTION "api_keys_notify_changed"();
