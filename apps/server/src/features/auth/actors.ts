import type { Db } from '@switchboard/db';
import type { UserActor } from '../../core/actor';
import { findActor } from './users';

/**
 * Who a user is now (role, organization, active), remembered for at most `ttlMs` so that an
 * authenticated request does not pay a query. Every instance forgets a user the moment a change to
 * them commits (`forgetChangedCredentials`), so a deactivated user's tokens and a demoted admin's
 * rights stop working at once everywhere; `ttlMs` bounds it should that notification be lost.
 */
export const ACTOR_TTL_MS = 500;
const MAX_ENTRIES = 10_000;

export class ActorCache {
  readonly #entries = new Map<string, { actor: UserActor | null; expires: number }>();

  constructor(
    private readonly db: Db,
    private readonly ttlMs = ACTOR_TTL_MS,
  ) {}

  async get(userId: string): Promise<UserActor | null> {
    const now = Date.now();
    const hit = this.#entries.get(userId);
    if (hit && hit.expires > now) return hit.actor;
    const actor = await findActor(this.db, userId);
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
    this.#entries.set(userId, { actor, expires: now + this.ttlMs });
    return actor;
  }

  forget(userId: string): void {
    this.#entries.delete(userId);
  }
}
