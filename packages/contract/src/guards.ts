import { z } from 'zod';
import { Timestamp } from './common';
import { GUARD_STATUSES } from './enums';

/**
 * A canary's guard (docs/api.md "Session outcomes and guarded canaries"): the server watches the
 * outcomes the runtime reports and ends the canary itself, aborted on a breach or, with
 * `autoPromote`, promoted once it has passed.
 */
export const GuardSettings = z
  .strictObject({
    /** How much higher the canary's failure rate may be than the stable's (0.02: two points), before the z-test. */
    maxFailureRateIncrease: z.number().min(0).max(1),
    /** How many milliseconds the canary's first-response p95 may exceed the stable's. */
    maxFirstResponseP95IncreaseMs: z.int().min(1).max(600_000).optional(),
    /** Outcomes of the canary needed before it can be judged. */
    minSessions: z.int().min(10).max(100_000).default(200),
    /** Minutes the canary must serve before it can pass. */
    bakeMinutes: z.int().min(0).max(1440).default(10),
    /** Promote the canary once it has passed. */
    autoPromote: z.boolean().default(false),
  })
  .meta({ id: 'GuardSettings' });
export type GuardSettings = z.input<typeof GuardSettings>;

/** A running canary's guard: its settings and what it last found. */
export const Guard = z
  .object({
    maxFailureRateIncrease: z.number(),
    maxFirstResponseP95IncreaseMs: z.int().nullable(),
    minSessions: z.int(),
    bakeMinutes: z.int(),
    autoPromote: z.boolean(),
    status: z.enum(GUARD_STATUSES),
    /** When the server last judged it (null: not yet). */
    checkedAt: Timestamp.nullable(),
    /** The figures of the last judgement, in words. */
    detail: z.string().nullable(),
  })
  .meta({ id: 'Guard' });
export type Guard = z.infer<typeof Guard>;
