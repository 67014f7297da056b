import type { Database } from '@switchboard/db';
import type { ApiKeyCache } from '../apiKeys/apiKeys';
import type { ActorCache } from './actors';

/**
 * Sent at the commit of a change to a user (`user:<id>`) or an API key (`key:<secret hash>`), by
 * triggers (migration 0018), so no code path can forget to send it.
 */
const CHANNEL = 'switchboard_forget';

/**
 * Every instance forgets a changed user or key the moment the change commits, wherever it was made:
 * a demoted admin, a deactivated user or a revoked key is refused on every instance within
 * milliseconds, not only after the caches' 0.5 s (which stays as the bound should a notification be
 * lost while the listening connection reconnects). Resolves once listening, to the function that stops.
 */
export function forgetChangedCredentials(
  database: Database,
  caches: { actors: ActorCache; apiKeys: ApiKeyCache },
): Promise<() => Promise<void>> {
  return database.listen(CHANNEL, (payload) => {
    const cut = payload.indexOf(':');
    const kind = payload.slice(0, cut);
    const id = payload.slice(cut + 1);
    if (kind === 'user') caches.actors.forget(id);
    else if (kind === 'key') caches.apiKeys.forget(id);
  });
}
