/**
 * The Node flags production runs the bundle with (`pnpm start`; the benchmark starts the server,
 * and the floor it is compared with, the same way). Only start-up flags can set these: V8 sizes
 * its heap once.
 *
 * Measured under load (`pnpm bench`, Node 24, 2 cores, 24 GiB): a request's garbage is the whole
 * story, the live heap stays near 35 MB. With V8's defaults a busy server still grew to ~400 MB
 * RSS: Node 24 sizes each young-generation semi-space from the machine's memory (64 MB here), and
 * the old generation is let grow to about four times its live size before it is compacted. Capping
 * the semi-spaces at 16 MB (Node 20's size) and growing the old generation by half its live size
 * brings the peak to ~200 MB, with no throughput change the benchmark can tell from noise.
 */
export const PRODUCTION_NODE_FLAGS = ['--max-semi-space-size=16', '--heap-growing-percent=50'] as const;
