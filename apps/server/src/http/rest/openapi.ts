import { ErrorBody } from '@switchboard/contract';
import { z } from 'zod';
import { REST_PREFIX } from './adapter';
import { EXAMPLES } from './examples';
import { type JsonSchema, type RestOperation, restOperations } from './routes';

/**
 * The OpenAPI 3.1 document, generated from the router's procedures and the contract's zod schemas.
 * Every schema the contract names (`.meta({ id })`) is a component, referenced wherever it appears,
 * so a generated SDK calls the types what the contract calls them.
 */

const COMPONENT_REF = '#/components/schemas/';

/**
 * Turns zod's JSON Schema into the document's: named schemas go to `components` (each once; a
 * second rendering must be the same), references point there, and what remains is returned.
 */
class Components {
  readonly schemas: Record<string, JsonSchema> = {};
  /** Request bodies whose path carries the id: the named input without it, published in its place. */
  readonly bodies: Record<string, JsonSchema> = {};

  schema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const {
      $schema: _,
      $defs,
      ...top
    } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema & {
      $defs?: Record<string, JsonSchema>;
    };
    const published = io === 'input' ? defaultsAsText : (definition: JsonSchema) => definition;
    for (const [name, definition] of Object.entries($defs ?? {}))
      this.add(name, published(relink(definition)));
    return published(relink(top));
  }

  add(name: string, definition: JsonSchema) {
    const existing = this.schemas[name];
    if (existing && JSON.stringify(existing) !== JSON.stringify(definition)) {
      throw new Error(`OpenAPI: two different schemas are named ${name}`);
    }
    this.schemas[name] = definition;
  }

  /** The named component a `$ref` points to, if it is one. */
  named(schema: JsonSchema): string | undefined {
    const ref = schema.$ref;
    return typeof ref === 'string' && ref.startsWith(COMPONENT_REF)
      ? ref.slice(COMPONENT_REF.length)
      : undefined;
  }
}

/** zod writes references to `#/$defs/<id>`; the document keeps them in `#/components/schemas/<id>`. */
function relink(schema: JsonSchema): JsonSchema {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/$defs/', `"${COMPONENT_REF}`)) as JsonSchema;
}

/**
 * A request schema with each default said in its description instead of a `default` keyword. A
 * field the server defaults is optional to send, but stock generators read `default` as "always
 * present" (openapi-typescript 7's `defaultNonNullable`, on by default, makes it required in a
 * named component), so a client generated with default options could not send a create with only
 * the required fields. Responses keep their schemas as they are: every field they always carry
 * stays required.
 */
function defaultsAsText(schema: JsonSchema): JsonSchema {
  if (Array.isArray(schema)) return schema.map(defaultsAsText) as unknown as JsonSchema;
  if (schema === null || typeof schema !== 'object') return schema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'default') continue;
    if (key === 'properties' || key === 'patternProperties') {
      // A map of names to schemas (a property may well be called `default` or `description`).
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, JsonSchema>).map(([name, property]) => [
          name,
          defaultsAsText(property),
        ]),
      );
      continue;
    }
    // Literal data (examples, const and enum values) is kept as it is.
    const literal = key === 'examples' || key === 'const' || key === 'enum';
    out[key] =
      literal || value === null || typeof value !== 'object' ? value : defaultsAsText(value as JsonSchema);
  }
  if ('default' in schema) {
    const said = `Default: \`${JSON.stringify(schema.default)}\`.`;
    out.description = typeof schema.description === 'string' ? `${schema.description} ${said}` : said;
  }
  return out;
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (`details.issues`) or broken references (`details.invalidAgentIds`, ...)',
  401: 'Missing, invalid or expired token',
  403: 'The caller may not do this: a member on an admin action, or an API key without the scope or bound to another environment',
  404: 'Not found (or another organization’s)',
  413: 'Body over the limit (1 MiB; 8 MiB for an import)',
  415: 'Body is not application/json',
  429: 'Too many attempts from this address (`Retry-After` says when to try again)',
  500: 'Server fault (the log has the request id)',
  503: 'The database did not answer in time, or the server is shutting down (`Retry-After`)',
};

function errorStatuses(operation: RestOperation): number[] {
  const statuses = [400];
  if (operation.access !== 'public') statuses.push(401);
  // A member on an admin action; an API key without the scope, or bound to another environment.
  if (operation.access !== 'public') statuses.push(403);
  if (operation.pathParams.length) statuses.push(404);
  // A stated conflict, or any POST's `Idempotency-Key` (mismatch, running, secretShown).
  if (operation.conflict || idempotent(operation)) statuses.push(409);
  statuses.push(...(operation.statuses ?? []));
  if (operation.method === 'POST' || operation.method === 'PUT') statuses.push(413, 415);
  if (operation.access === 'public') statuses.push(429);
  statuses.push(500, 503);
  return [...new Set(statuses)].sort((a, b) => a - b);
}

/** Whether the operation takes an `Idempotency-Key` (every POST but signup and login). */
const idempotent = (operation: RestOperation) => operation.method === 'POST' && operation.access !== 'public';

const IDEMPOTENCY_CONFLICT =
  'or, with an `Idempotency-Key`, another request under the key (`details.reason: "mismatch"`), a repeat while the first runs (`"running"`), or a repeat of an answer that showed a secret once (`"secretShown"`)';

/** The response headers clients read (docs/api.md "Details clients rely on"). */
const HEADERS = {
  requestId: {
    description:
      'The request’s id (the one sent, when it was a valid id; else a new one), also in the log and on audit events',
    schema: { type: 'string' },
  },
  etag: {
    description: 'The answer’s version: send it as `If-None-Match` to get 304 while it is current',
    schema: { type: 'string' },
  },
  replayed: {
    description: '`true` when this is the kept answer of an earlier request with the same `Idempotency-Key`',
    schema: { type: 'string', enum: ['true'] },
  },
  retryAfter: { description: 'Seconds to wait before trying again', schema: { type: 'string' } },
} as const;

function operationObject(operation: RestOperation, components: Components) {
  // The input as one object: path parameters, query parameters or the body are its fields.
  const inputRef = operation.input ? components.schema(operation.input, 'input') : undefined;
  const inputName = inputRef && components.named(inputRef);
  const input: JsonSchema | undefined = inputName ? components.schemas[inputName] : inputRef;
  const pathParameters = operation.pathParams.map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: input?.properties?.[name] ?? { type: 'string' },
  }));
  const fields = Object.entries(input?.properties ?? {}).filter(
    ([name]) => !operation.pathParams.includes(name) && !operation.omit?.includes(name),
  );
  const queryParameters =
    operation.method === 'GET'
      ? fields.map(([name, schema]) => ({
          name,
          in: 'query',
          required: input?.required?.includes(name) ?? false,
          schema,
          // A list is one comma-separated value (`?ids=a,b`); the server also takes it repeated.
          ...(schema.type === 'array' ? { style: 'form', explode: false } : {}),
        }))
      : [];
  const hasBody = operation.method !== 'GET' && operation.method !== 'DELETE' && fields.length > 0;
  if (hasBody && !inputName)
    throw new Error(`OpenAPI: the body of ${operation.procedure} has no component name`);
  if (hasBody && inputName && operation.pathParams.length) {
    // Over REST the path carries the id: the body component is the input without it.
    components.bodies[inputName] = {
      ...input,
      properties: Object.fromEntries(fields),
      required: (input?.required ?? []).filter((name) => !operation.pathParams.includes(name)),
    };
  }
  const status = operation.status ?? 200;
  const output =
    operation.output && status !== 204 ? components.schema(operation.output, 'output') : undefined;
  const outputName = output && components.named(output);
  const error = { content: { 'application/json': { schema: { $ref: `${COMPONENT_REF}Error` } } } };
  return {
    operationId: operation.operationId ?? operation.procedure.replace('.', '_'),
    summary: operation.summary,
    tags: [operation.tag],
    description: `tRPC: \`${operation.procedure}\`. Access: ${operation.access}${operation.keys ? `, or an API key with the ${operation.keys} scope` : ''}.`,
    // Who may call, per operation: nobody's token for signup and login, a user's token, and for
    // agents and templates an API key too.
    security:
      operation.access === 'public' ? [] : [{ bearerAuth: [] }, ...(operation.keys ? [{ apiKey: [] }] : [])],
    parameters: [
      ...pathParameters,
      ...queryParameters,
      ...(operation.method === 'POST' && operation.access !== 'public'
        ? [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              description:
                'Yours alone (per user or API key), after the same access check as without it: the first answer is kept 24 hours and replayed (with `Idempotent-Replayed: true`) to a repeat of the same request (compared after parsing); another request under the key is 409 `mismatch`, a repeat while the first runs 409 `running`; a 5xx, 429 or retryable 409 is not kept; an answer with a secret is never kept whole (its repeat is 409 `secretShown`).',
              schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7E]+$' },
            },
          ]
        : []),
      ...(operation.etag && operation.method === 'GET'
        ? [
            {
              name: 'If-None-Match',
              in: 'header',
              required: false,
              description: 'The `ETag` of a copy: 304 with no body while it is current',
              schema: { type: 'string' },
            },
          ]
        : []),
    ],
    ...(hasBody && inputName
      ? {
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: { $ref: `${COMPONENT_REF}${inputName}` },
                ...(EXAMPLES[inputName] ? { example: EXAMPLES[inputName] } : {}),
              },
            },
          },
        }
      : {}),
    responses: {
      ...(operation.etag && operation.method === 'GET'
        ? {
            304: {
              description: 'Not modified: `If-None-Match` names the current `ETag`',
              headers: { ETag: HEADERS.etag, 'x-request-id': HEADERS.requestId },
            },
          }
        : {}),
      [status]: output
        ? {
            description: 'Success',
            headers: {
              'x-request-id': HEADERS.requestId,
              ...(operation.etag ? { ETag: HEADERS.etag } : {}),
              ...(idempotent(operation) ? { 'Idempotent-Replayed': HEADERS.replayed } : {}),
            },
            content: {
              'application/json': {
                schema: output,
                ...(outputName && EXAMPLES[outputName] ? { example: EXAMPLES[outputName] } : {}),
              },
            },
          }
        : {
            description: 'Done, no content',
            headers: {
              'x-request-id': HEADERS.requestId,
              ...(idempotent(operation) ? { 'Idempotent-Replayed': HEADERS.replayed } : {}),
            },
          },
      ...Object.fromEntries(
        errorStatuses(operation).map((code) => [
          code,
          {
            description:
              code === 409
                ? [operation.conflict, idempotent(operation) ? IDEMPOTENCY_CONFLICT : null]
                    .filter(Boolean)
                    .join('; ')
                : code === 401 && operation.access === 'public'
                  ? 'Wrong email or password (one answer for both, so it tells nobody which accounts exist)'
                  : ERROR_DESCRIPTIONS[code],
            headers: {
              'x-request-id': HEADERS.requestId,
              ...(code === 429 || code === 503 ? { 'Retry-After': HEADERS.retryAfter } : {}),
            },
            ...error,
          },
        ]),
      ),
    },
  };
}

/** `GET /api/v1/events`: the change events as server-sent events (`http/rest/events.ts`). */
function eventStreamOperation() {
  const error = { content: { 'application/json': { schema: { $ref: `${COMPONENT_REF}Error` } } } };
  const failure = (description: string, retry = false) => ({
    description,
    headers: { 'x-request-id': HEADERS.requestId, ...(retry ? { 'Retry-After': HEADERS.retryAfter } : {}) },
    ...error,
  });
  return {
    operationId: 'events_stream',
    summary: 'The organization’s change events, live, as server-sent events',
    tags: ['events'],
    description:
      'tRPC: `events.onChange` (a subscription). Access: member, or an API key. Each message: `id:` the sequence, `event:` the action, `data:` the `AuditEvent`; a comment every 15 s. Members and keys get agent, template and deployment events; admins every event. A client that stays behind is ended with `retry:` and resumes by sequence.',
    security: [{ bearerAuth: [] }, { apiKey: [] }],
    parameters: [
      {
        name: 'Last-Event-ID',
        in: 'header',
        required: false,
        description: 'Resume after this sequence (else: from now)',
        schema: { type: 'string', pattern: '^\\d{1,15}$' },
      },
      {
        name: 'after',
        in: 'query',
        required: false,
        description: 'The same as `Last-Event-ID`',
        schema: { type: 'string', pattern: '^\\d{1,15}$' },
      },
    ],
    responses: {
      200: {
        description: 'The stream',
        headers: { 'x-request-id': HEADERS.requestId },
        content: {
          'text/event-stream': {
            schema: { type: 'string' },
            example:
              'id: 42\nevent: sessionTemplate.updated\ndata: {"id":"…","action":"sessionTemplate.updated","sequence":42,…}\n\n',
          },
        },
      },
      400: failure('`Last-Event-ID` or `after` is not a sequence'),
      401: failure(ERROR_DESCRIPTIONS[401]!),
      429: failure('The organization has 100 open streams', true),
      500: failure(ERROR_DESCRIPTIONS[500]!),
      503: failure(ERROR_DESCRIPTIONS[503]!, true),
    },
  };
}

export function buildOpenApiDocument() {
  const components = new Components();
  components.schema(ErrorBody, 'output');
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of restOperations()) {
    const path = REST_PREFIX + operation.path;
    paths[path] ??= {};
    paths[path][operation.method.toLowerCase()] = operationObject(operation, components);
  }
  paths[`${REST_PREFIX}/events`] = { get: eventStreamOperation() };
  // Each named schema carries its example (JSON Schema `examples`), as a portal shows it.
  const schemas = Object.fromEntries(
    Object.entries({ ...components.schemas, ...components.bodies })
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, schema]) => [name, EXAMPLES[name] ? { ...schema, examples: [EXAMPLES[name]] } : schema]),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchboard API',
      version: '1.0.0',
      description:
        'Configuration API for live, multi-agent voice and video sessions: agents and session templates, scoped to an organization. Admins write, members read. The same procedures are served over tRPC at /trpc.',
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'auth', description: 'Signup, login and the current user' },
      { name: 'organization', description: 'Members of the caller’s organization' },
      { name: 'agents', description: 'AI agent definitions' },
      { name: 'session-templates', description: 'Blueprints of what happens when an end-user connects' },
      {
        name: 'environments',
        description: 'Environments and deployments: what each runtime serves, canaries, promotion',
      },
      {
        name: 'deployments',
        description:
          'What each environment serves: deploy, canaries, rollback, promotion, the release history',
      },
      {
        name: 'outcomes',
        description:
          'How sessions ended, as the runtime reports them: the figures guarded canaries are judged by',
      },
      { name: 'events', description: 'The live stream of change events (server-sent events)' },
      { name: 'api-keys', description: 'Keys for servers: the session runtime, CI' },
      {
        name: 'webhooks',
        description:
          'Signed change events sent to your endpoints, with a delivery log (the live stream is GET /api/v1/events)',
      },
      { name: 'config', description: 'Configuration as code: export a bundle, import one with a plan first' },
      { name: 'audit', description: 'Who changed what, when: the organization’s append-only audit log' },
    ],
    security: [{ bearerAuth: [] }],
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: "A user's access token",
        },
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'sbk_…',
          description: "An organization's API key (`Authorization: Bearer sbk_…`), for servers",
        },
      },
      schemas,
    },
    paths,
  };
}
