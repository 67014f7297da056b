import { createHash } from 'node:crypto';
import { type Db, idempotencyKeys } from '@switchboard/db';
import { and, eq, lt, sql } from 'drizzle-orm';
import { AppError } from '../errors';

/** How long a first answer is kept (API.md "Idempotency keys"). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** A first request that has not answered after this long is taken to have died with its server. */
const ABANDONED_AFTER_MS = 60_000;

/** 1..255 printable ASCII characters. */
const KEY = /^[\x20-\x7E]{1,255}$/;

export function checkIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !KEY.test(header)) {
    throw new AppError('BAD_REQUEST', 'Idempotency-Key must be 1 to 255 printable ASCII characters', {
      issues: [{ path: ['Idempotency-Key'], message: 'Must be 1 to 255 printable ASCII characters' }],
    });
  }
  return header;
}

/** What identifies a request for a key: its method, path and body. */
export function requestHash(method: string, url: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${url}\n${body === undefined ? '' : JSON.stringify(body)}`)
    .digest('base64url');
}

export type Claim = { kind: 'first' } | { kind: 'replay'; status: number; body: string | null };

/**
 * The idempotency keys of every instance, in the database: the first request with a key claims it
 * (a primary key makes that atomic across instances), the others replay its answer, or are 409
 * while it runs or when they send another request. Expired keys are purged every `purgeMs`.
 */
export class IdempotencyStore {
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly db: Db,
    purgeMs = 10 * 60 * 1000,
  ) {
    this.#timer = setInterval(() => void this.purge().catch(() => {}), purgeMs);
    this.#timer.unref();
  }

  /** Claims `key` in `scope` for a request, or answers how the first one went. */
  async claim(scope: string, key: string, hash: string): Promise<Claim> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const [claimed] = await this.db
        .insert(idempotencyKeys)
        .values({
          scope,
          key,
          requestHash: hash,
          expiresAt: sql`now() + ${`${IDEMPOTENCY_TTL_MS} milliseconds`}::interval`,
        })
        .onConflictDoNothing()
        .returning({ key: idempotencyKeys.key });
      if (claimed) return { kind: 'first' };
      const [first] = await this.db
        .select()
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
      if (!first) continue; // released or purged meanwhile: claim again
      const abandoned = first.status === null && Date.now() - first.createdAt.getTime() > ABANDONED_AFTER_MS;
      if (first.expiresAt.getTime() <= Date.now() || abandoned) {
        await this.db
          .delete(idempotencyKeys)
          .where(
            and(
              eq(idempotencyKeys.scope, scope),
              eq(idempotencyKeys.key, key),
              eq(idempotencyKeys.createdAt, first.createdAt),
            ),
          );
        continue;
      }
      if (first.requestHash !== hash) {
        throw new AppError('CONFLICT', 'This Idempotency-Key was used for another request; use a new key', {
          reason: 'mismatch',
        });
      }
      if (first.status === null) {
        throw new AppError(
          'CONFLICT',
          'A request with this Idempotency-Key is still running; retry shortly',
          {
            reason: 'running',
          },
        );
      }
      return { kind: 'replay', status: first.status, body: first.body };
    }
    throw new AppError('CONFLICT', 'This Idempotency-Key is changing hands; retry shortly', {
      reason: 'running',
    });
  }

  /** Keeps the first answer. */
  async complete(scope: string, key: string, status: number, body: string | null): Promise<void> {
    await this.db
      .update(idempotencyKeys)
      .set({ status, body })
      .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
  }

  /** Lets the key go (the first request failed on the server's side, so a retry may run it again). */
  async release(scope: string, key: string): Promise<void> {
    await this.db
      .delete(idempotencyKeys)
      .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
  }

  /** Deletes every expired key; answers how many. */
  async purge(): Promise<number> {
    const rows = await this.db
      .delete(idempotencyKeys)
      .where(lt(idempotencyKeys.expiresAt, sql`now()`))
      .returning({ key: idempotencyKeys.key });
    return rows.length;
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
