import { randomUUID } from 'node:crypto';
import { type Db, idempotencyKeys } from '@switchboard/db';
import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import { DEFAULT_TAKEOVER_MS } from '../../core/config';
import { AppError, describeError, errorBody } from '../../core/errors';

/**
 * Idempotency keys (docs/api.md "Idempotency keys"): one effect per caller and key, the first answer
 * replayed. The REST adapter asks `mayCall` before it gets here, so a caller who may not make the
 * call is refused as usual and never sees a kept answer.
 */

/** How long a first answer is kept. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

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

/** Whose a key is: the user, or the API key, that sent it. */
export function idempotencyScope(
  actor: { kind: 'user'; userId: string } | { kind: 'apiKey'; keyId: string },
) {
  return actor.kind === 'user' ? `user:${actor.userId}` : `apiKey:${actor.keyId}`;
}

export type Claim =
  | { kind: 'first'; claimId: string }
  | { kind: 'replay'; status: number; body: string | null };

export interface IdempotencyOptions {
  /** A claim left unrenewed this long may be taken over (default 60 s); it is renewed four times as often. */
  takeoverMs?: number;
  purgeMs?: number;
}

const interval = (ms: number) => sql`${`${ms} milliseconds`}::interval`;

/**
 * The idempotency keys of every instance, in the database, timed by the database's clock. The
 * first request with a key claims it (the primary key makes that atomic across instances) and
 * renews its claim while it runs; the others replay its answer, or are 409 while it runs or when
 * they send another request. A claim left unrenewed for `takeoverMs` (its server died) may be
 * taken over, and the first request can then no longer record or release the key. Expired keys
 * are purged every `purgeMs`.
 */
export class IdempotencyStore {
  readonly #timer: NodeJS.Timeout;
  readonly takeoverMs: number;

  constructor(
    private readonly db: Db,
    { takeoverMs = DEFAULT_TAKEOVER_MS, purgeMs = 10 * 60 * 1000 }: IdempotencyOptions = {},
  ) {
    this.takeoverMs = takeoverMs;
    this.#timer = setInterval(() => void this.purge().catch(() => {}), purgeMs);
    this.#timer.unref();
  }

  #row(scope: string, key: string, claimId?: string) {
    return and(
      eq(idempotencyKeys.scope, scope),
      eq(idempotencyKeys.key, key),
      claimId === undefined ? undefined : eq(idempotencyKeys.claimId, claimId),
    );
  }

  /** Claims `key` in `scope` for a request, or answers how the first one went. */
  async claim(scope: string, key: string, hash: string): Promise<Claim> {
    const claimId = randomUUID();
    const fresh = {
      requestHash: hash,
      claimId,
      status: null,
      body: null,
      createdAt: sql`now()`,
      renewedAt: sql`now()`,
      expiresAt: sql`now() + ${interval(IDEMPOTENCY_TTL_MS)}`,
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      // A new key, an expired one, or the same request's claim abandoned by its server.
      const [claimed] = await this.db
        .insert(idempotencyKeys)
        .values({ scope, key, ...fresh })
        .onConflictDoUpdate({
          target: [idempotencyKeys.scope, idempotencyKeys.key],
          set: fresh,
          setWhere: sql`${idempotencyKeys.expiresAt} <= now() or (${idempotencyKeys.status} is null and ${idempotencyKeys.requestHash} = ${hash} and ${idempotencyKeys.renewedAt} <= now() - ${interval(this.takeoverMs)})`,
        })
        .returning({ claimId: idempotencyKeys.claimId });
      if (claimed) return { kind: 'first', claimId };
      const [first] = await this.db
        .select({
          requestHash: idempotencyKeys.requestHash,
          status: idempotencyKeys.status,
          body: idempotencyKeys.body,
        })
        .from(idempotencyKeys)
        .where(this.#row(scope, key));
      if (!first) continue; // released meanwhile: claim again
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

  /** Keeps the claim alive while its request runs; false once it was taken over. */
  async renew(scope: string, key: string, claimId: string): Promise<boolean> {
    const rows = await this.db
      .update(idempotencyKeys)
      .set({ renewedAt: sql`now()` })
      .where(and(this.#row(scope, key, claimId), isNull(idempotencyKeys.status)))
      .returning({ key: idempotencyKeys.key });
    return rows.length > 0;
  }

  /** Keeps the first answer, if the claim is still this request's. */
  async complete(scope: string, key: string, claimId: string, status: number, body: string | null) {
    const rows = await this.db
      .update(idempotencyKeys)
      .set({ status, body })
      .where(and(this.#row(scope, key, claimId), isNull(idempotencyKeys.status)))
      .returning({ key: idempotencyKeys.key });
    return rows.length > 0;
  }

  /** Lets the key go (the answer was one to retry), if the claim is still this request's. */
  async release(scope: string, key: string, claimId: string): Promise<void> {
    await this.db
      .delete(idempotencyKeys)
      .where(and(this.#row(scope, key, claimId), isNull(idempotencyKeys.status)));
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

/** An answer as sent: its status and JSON text (null for none). */
export interface Answer {
  status: number;
  body: string | null;
}

export interface IdempotentCall {
  scope: string;
  key: string;
  hash: string;
  /** Runs the procedure and serialises its answer; throws what the procedure throws. */
  run: () => Promise<Answer>;
  /** The copy of a success that may be kept (without any secret it carries). */
  keptBody: (body: string | null) => string | null;
}

/**
 * Runs a request under its key once: the first run's answer is kept (less any secret), a repeat
 * gets it back (`replayed`), and an answer that asks to be retried (a 5xx, 429, 503, a write that
 * raced another) releases the key. The claim is renewed while the request runs.
 */
export async function runOnce(
  store: IdempotencyStore,
  call: IdempotentCall,
): Promise<Answer & { replayed: boolean }> {
  const claim = await store.claim(call.scope, call.key, call.hash);
  if (claim.kind === 'replay') return { status: claim.status, body: claim.body, replayed: true };
  const renewal = setInterval(
    () => void store.renew(call.scope, call.key, claim.claimId).catch(() => {}),
    store.takeoverMs / 4,
  );
  renewal.unref();
  try {
    const answer = await call.run();
    await store.complete(call.scope, call.key, claim.claimId, answer.status, call.keptBody(answer.body));
    return { ...answer, replayed: false };
  } catch (error) {
    const described = describeError(error);
    if (described.retryable) await store.release(call.scope, call.key, claim.claimId);
    else {
      const body = JSON.stringify(errorBody(described));
      await store.complete(call.scope, call.key, claim.claimId, described.status, body);
    }
    throw error;
  } finally {
    clearInterval(renewal);
  }
}
