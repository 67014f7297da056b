import type { ApiKeyScope, Role } from '@switchboard/contract';

/** Who calls the API: the types the whole server shares (kept apart so nothing imports `context` for them). */

/** A person, by their access token. */
export interface UserActor {
  kind: 'user';
  userId: string;
  organizationId: string;
  role: Role;
  /** The name history records: the user's full name, else their email. */
  name: string;
}

/** A server, by an API key of the organization. */
export interface KeyActor {
  kind: 'apiKey';
  keyId: string;
  organizationId: string;
  scope: ApiKeyScope;
  name: string;
  /** Milliseconds since the epoch, or null when the key never expires. */
  expiresAt: number | null;
  /** The environment the key is bound to (its id), or null. */
  environmentId: string | null;
}

/** Who is calling: set by the authenticated rung of the procedure ladder. */
export type Actor = UserActor | KeyActor;
