import { createHash, randomBytes } from 'node:crypto';
import {
  API_KEY_PREFIX,
  type ApiKey,
  type ApiKeyList,
  type CreateApiKeyInput,
  type CreatedApiKey,
} from '@switchboard/contract';
import { type ApiKeyRow, apiKeys, type Db, environments } from '@switchboard/db';
import { and, desc, eq, getTableColumns, isNull, sql } from 'drizzle-orm';
import type { z } from 'zod';
import type { KeyActor } from '../../core/actor';
import { perDatabase } from '../../core/db';
import { AppError, notFound } from '../../core/errors';
import { lockEnvironment } from '../environments/environments';
import { type Attribution, recordEvent } from '../history/history';

/** `sbk_` + 32 random bytes in base64url (43 characters). */
export function newSecret(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * What the database keeps of a secret. A key's secret is 256 random bits, so one round of SHA-256
 * is enough (no salt or slow hash needed: there is nothing to guess), and the lookup by this hash
 * compares hashes, never the secret, so its timing says nothing about the secret.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** What a well-formed secret looks like; anything else is refused without a query. */
const SECRET = /^sbk_[A-Za-z0-9_-]{43}$/;

/** A key's row with the name of the environment it is bound to (null: none). */
type KeyRow = ApiKeyRow & { environment: string | null };

/** The key columns and the bound environment's name, for a select joined to `environments`. */
const keyColumns = { ...getTableColumns(apiKeys), environment: environments.name };

function toApiKey(row: KeyRow): ApiKey {
  return {
    id: row.id,
    organizationId: row.organizationId,
    name: row.name,
    scope: row.scope,
    environment: row.environment,
    prefix: row.prefix,
    createdBy: { id: row.createdById, name: row.createdByName },
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    revokedBy:
      row.revokedById === null || row.revokedByName === null
        ? null
        : { id: row.revokedById, name: row.revokedByName },
  };
}

/** Creates a key; the answer carries its secret, which is never shown again. */
export async function createApiKey(
  db: Db,
  by: Attribution,
  input: z.output<typeof CreateApiKeyInput>,
): Promise<CreatedApiKey> {
  if (input.expiresAt !== null && Date.parse(input.expiresAt) <= Date.now()) {
    throw new AppError('BAD_REQUEST', 'expiresAt must be in the future', {
      issues: [{ path: ['expiresAt'], message: 'Must be in the future' }],
    });
  }
  const secret = newSecret();
  return db.transaction(async (tx) => {
    // The environment stays until the key is written (its delete waits, then sees the key).
    const environment =
      input.environment === null
        ? null
        : await lockEnvironment(tx, by.organizationId, input.environment, 'share');
    const [row] = await tx
      .insert(apiKeys)
      .values({
        organizationId: by.organizationId,
        name: input.name,
        scope: input.scope,
        prefix: secret.slice(0, 12),
        secretHash: hashSecret(secret),
        createdById: by.actor.id!,
        createdByName: by.actor.name,
        expiresAt: input.expiresAt === null ? null : new Date(input.expiresAt),
        environmentId: environment?.id ?? null,
      })
      .returning();
    await recordEvent(tx, by, 'apiKey.created', { type: 'apiKey', id: row!.id, name: row!.name });
    return { apiKey: toApiKey({ ...row!, environment: environment?.name ?? null }), secret };
  });
}

/** Every key of the organization, newest first: revoked and expired ones included. */
export async function listApiKeys(db: Db, organizationId: string): Promise<ApiKeyList> {
  const rows = await db
    .select(keyColumns)
    .from(apiKeys)
    .leftJoin(environments, eq(environments.id, apiKeys.environmentId))
    .where(eq(apiKeys.organizationId, organizationId))
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
  return { items: rows.map(toApiKey) };
}

/** Revokes a key: 401 on every instance within a second; a second revoke is 404. */
export async function revokeApiKey(db: Db, by: Attribution, id: string): Promise<string> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(apiKeys)
      .set({ revokedAt: sql`now()`, revokedById: by.actor.id!, revokedByName: by.actor.name })
      .where(
        and(eq(apiKeys.id, id), eq(apiKeys.organizationId, by.organizationId), isNull(apiKeys.revokedAt)),
      )
      .returning({ id: apiKeys.id, name: apiKeys.name, secretHash: apiKeys.secretHash });
    if (!row) throw notFound('API key', id);
    await recordEvent(tx, by, 'apiKey.revoked', { type: 'apiKey', id: row.id, name: row.name });
    return row.secretHash;
  });
}

const lookup = perDatabase((db) =>
  db
    .select({
      id: apiKeys.id,
      organizationId: apiKeys.organizationId,
      name: apiKeys.name,
      scope: apiKeys.scope,
      expiresAt: apiKeys.expiresAt,
      revokedAt: apiKeys.revokedAt,
      environmentId: apiKeys.environmentId,
    })
    .from(apiKeys)
    .where(eq(apiKeys.secretHash, sql.placeholder('secretHash')))
    .limit(1)
    .prepare('api_key_by_hash'),
);

/**
 * Who an API key is, remembered for at most `ttlMs` so that a request costs no query. Every
 * instance forgets a key the moment its revocation commits (`forgetChangedCredentials`), so it is
 * refused at once everywhere; `ttlMs` bounds it should that notification be lost.
 * Expiry is checked on every request against the remembered `expiresAt`, so it is exact.
 *
 * Using a key costs no write: the time of its last use is kept in memory and written in the
 * background every `flushMs` (one statement for every key used since), so `lastUsedAt` is at most
 * that old.
 */
export const API_KEY_TTL_MS = 500;
const MAX_ENTRIES = 10_000;

export class ApiKeyCache {
  readonly #entries = new Map<string, { actor: KeyActor | null; expires: number }>();
  readonly #used = new Map<string, Date>();
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly db: Db,
    flushMs = 30_000,
    private readonly ttlMs = API_KEY_TTL_MS,
  ) {
    this.#timer = setInterval(() => void this.flush().catch(() => {}), flushMs);
    this.#timer.unref();
  }

  /** The key behind `secret`, or null when it is unknown, revoked or expired. */
  async resolve(secret: string): Promise<KeyActor | null> {
    if (!SECRET.test(secret)) return null;
    const hash = hashSecret(secret);
    const now = Date.now();
    let hit = this.#entries.get(hash);
    if (!hit || hit.expires <= now) {
      const [row] = await lookup(this.db).execute({ secretHash: hash });
      const actor: KeyActor | null =
        row && row.revokedAt === null
          ? {
              kind: 'apiKey',
              keyId: row.id,
              organizationId: row.organizationId,
              scope: row.scope,
              name: row.name,
              expiresAt: row.expiresAt?.getTime() ?? null,
              environmentId: row.environmentId,
            }
          : null;
      if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
      hit = { actor, expires: now + this.ttlMs };
      this.#entries.set(hash, hit);
    }
    const actor = hit.actor;
    if (!actor || (actor.expiresAt !== null && actor.expiresAt <= now)) return null;
    this.#used.set(actor.keyId, new Date(now));
    return actor;
  }

  /** Forgets a revoked key on this instance at once. */
  forget(secretHash: string): void {
    this.#entries.delete(secretHash);
  }

  /** Writes the last use of every key used since the previous flush. */
  async flush(): Promise<void> {
    if (!this.#used.size) return;
    const used = [...this.#used];
    this.#used.clear();
    const values = JSON.stringify(used.map(([id, at]) => ({ id, at: at.toISOString() })));
    await this.db.execute(sql`update ${apiKeys} set last_used_at = greatest(${apiKeys.lastUsedAt}, used.at)
      from (select (value ->> 'id')::uuid as id, (value ->> 'at')::timestamptz as at
            from jsonb_array_elements(${values}::jsonb)) used
      where ${apiKeys.id} = used.id`);
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush().catch(() => {});
  }
}
