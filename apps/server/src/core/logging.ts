import { type SerializedError, stdSerializers } from 'pino';

/**
 * What the server's log may never contain: passwords and their hashes, access tokens, API-key
 * secrets, the `authorization` header, and the parameters of a failed database query (on signup
 * they are the email and the password hash). The log is scrubbed as it is written, at any depth,
 * whatever logs it, so a new log line cannot leak by forgetting a redaction path.
 */
export const REDACTED = '[redacted]';

/** Field names whose values are secret, compared without case, `-` or `_`. */
const SECRET_KEYS = new Set([
  'password',
  'passwordhash',
  'newpassword',
  'accesstoken',
  'token',
  'secret',
  'authorization',
  'cookie',
  'setcookie',
  'params',
  'parameters',
]);
const isSecretKey = (key: string) => SECRET_KEYS.has(key.toLowerCase().replace(/[-_]/g, ''));

/** Secrets that can stand inside any text: bearer credentials, JWTs, API-key secrets, scrypt hashes. */
const SECRET_TEXT = [
  /\bBearer\s+\S+/gi,
  /\beyJ[\w-]*\.[\w-]*\.[\w-]*/g,
  /\bsbk_[\w-]+/g,
  /\bscrypt\$[^\s,'"]+/g,
];

/**
 * A tRPC query's input travels in its URL (`?input=…`): it may hold what the log must not (the
 * values of a session's variables), so a logged URL keeps only its shape.
 */
const TRPC_INPUT = /([?&]input=)[^&\s"]*/g;

/** A failed query as Drizzle words it: its text, then a line of its parameters, which goes. */
const QUERY_PARAMS = /\bparams: [^\n]*/g;

export function scrubText(text: string): string {
  let result = text.replace(QUERY_PARAMS, `params: ${REDACTED}`).replace(TRPC_INPUT, `$1${REDACTED}`);
  for (const pattern of SECRET_TEXT) result = result.replace(pattern, REDACTED);
  return result;
}

/** pino's serialised error (message, stack with its causes, own fields) as a plain object. */
const serializeError = (error: Error) => JSON.parse(JSON.stringify(stdSerializers.err(error)));

const isPlain = (value: object) => {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};

/**
 * A copy of `value` with every secret replaced by `[redacted]`: secret fields by name, secrets
 * inside text by shape, errors (and their causes) serialised first. Objects that are neither plain
 * nor errors (a request, a socket) are left to their own serialisers.
 */
export function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (value instanceof Error) return scrub(serializeError(value), depth + 1);
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  if (!isPlain(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = isSecretKey(key) && item !== undefined && item !== null ? REDACTED : scrub(item, depth + 1);
  }
  return copy;
}

/** The pino options that apply the scrub to every line the server writes. */
export const scrubbingLoggerOptions = {
  formatters: { log: (object: Record<string, unknown>) => scrub(object) as Record<string, unknown> },
  serializers: {
    err: (error: Error) => scrub(serializeError(error)) as SerializedError,
    // Fastify's request line, with its URL scrubbed like any text.
    req: (req: {
      method?: string;
      url?: string;
      host?: string;
      ip?: string;
      socket?: { remotePort?: number };
    }) => ({
      method: req.method,
      url: req.url === undefined ? undefined : scrubText(req.url),
      host: req.host,
      remoteAddress: req.ip,
      remotePort: req.socket?.remotePort,
    }),
  },
};
