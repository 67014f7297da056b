/** The deepest JSON a request may nest (docs/api.md "Details clients rely on"). */
export const JSON_DEPTH_MAX = 64;

/**
 * Whether JSON text nests objects and arrays deeper than `max`, read as text in one pass before
 * anything parses or walks it: no reader of the body (the idempotency key's canonical form, the
 * schemas) ever recurses into a body nested thousands deep. Strings are skipped whole (a search for
 * their closing quote), so a body of ids and timestamps costs little more than its brackets.
 */
export function nestsDeeperThan(text: string, max = JSON_DEPTH_MAX): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) {
      // To the next quote that an even run of backslashes (none, or escaped ones) precedes.
      for (;;) {
        i = text.indexOf('"', i + 1);
        if (i === -1) return false;
        let backslashes = 0;
        while (text.charCodeAt(i - 1 - backslashes) === 0x5c) backslashes++;
        if (backslashes % 2 === 0) break;
      }
    } else if (code === 0x7b || code === 0x5b) {
      if (++depth > max) return true;
    } else if (code === 0x7d || code === 0x5d) depth--;
  }
  return false;
}

/** The 400 for a body nested too deep, as Fastify's parsers report errors. */
export function tooDeep(): Error & { statusCode: number } {
  return Object.assign(new Error(`JSON may nest at most ${JSON_DEPTH_MAX} levels deep`), { statusCode: 400 });
}
