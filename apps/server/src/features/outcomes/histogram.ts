/**
 * First-response times as a fixed log-scale histogram (docs/api.md "Session outcomes": p95 exact to
 * within 5%). Bucket 0 holds times under 1 ms; bucket i ≥ 1 holds [GROWTH^(i-1), GROWTH^i) ms and
 * stands for its geometric middle, which is within √GROWTH − 1 ≈ 4.9% of every time in it.
 * 600,000 ms (the largest time an outcome may carry) falls in the last bucket.
 */
export const GROWTH = 1.1;
const LOG_GROWTH = Math.log(GROWTH);
export const BUCKETS = 2 + Math.floor(Math.log(600_000) / LOG_GROWTH);

/** The bucket of a time in milliseconds (0..600,000). */
export function bucketOf(ms: number): number {
  if (ms < 1) return 0;
  return Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(ms) / LOG_GROWTH));
}

/** The time a bucket stands for. */
export function bucketValue(bucket: number): number {
  return bucket === 0 ? 0 : GROWTH ** (bucket - 0.5);
}

export const emptyHistogram = (): number[] => new Array<number>(BUCKETS).fill(0);

/** Adds `from` into `into`, bucket by bucket. */
export function addHistogram(into: number[], from: readonly number[]): void {
  for (let i = 0; i < BUCKETS; i++) into[i]! += from[i] ?? 0;
}

/**
 * The p95 (nearest rank: the smallest time with at least 95% of times at or below it), as the
 * middle of its bucket, rounded to 0.1 ms; null for an empty histogram.
 */
export function p95(histogram: readonly number[]): number | null {
  const total = histogram.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = Math.ceil(0.95 * total);
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i]!;
    if (seen >= rank) return Math.round(bucketValue(i) * 10) / 10;
  }
  return null;
}
