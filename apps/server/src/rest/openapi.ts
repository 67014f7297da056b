import { ErrorBody } from '@switchboard/contract';
import { REST_PREFIX } from './adapter';
import { jsonSchema, type RestOperation, restOperations } from './routes';

/** The OpenAPI 3.1 document, generated from the router's procedures and the contract's zod schemas. */

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (`details.issues`) or broken references (`details.invalidAgentIds`, ...)',
  401: 'Missing, invalid or expired token',
  403: 'The caller is not an admin',
  404: 'Not found (or another organization’s)',
  413: 'Body over 1 MiB',
  415: 'Body is not application/json',
  429: 'Too many attempts from this address',
  500: 'Server fault (the log has the request id)',
  503: 'The database did not answer in time',
};

function errorStatuses(operation: RestOperation): number[] {
  const statuses = [400];
  if (operation.access !== 'public') statuses.push(401);
  if (operation.access === 'admin') statuses.push(403);
  if (operation.pathParams.length) statuses.push(404);
  if (operation.conflict) statuses.push(409);
  if (operation.method === 'POST' || operation.method === 'PUT') statuses.push(413, 415);
  if (operation.access === 'public') statuses.push(429);
  statuses.push(500, 503);
  return statuses.sort((a, b) => a - b);
}

function operationObject(operation: RestOperation) {
  const input = operation.input ? jsonSchema(operation.input, 'input') : undefined;
  const pathParameters = operation.pathParams.map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: input?.properties?.[name] ?? { type: 'string' },
  }));
  const fields = Object.entries(input?.properties ?? {}).filter(
    ([name]) => !operation.pathParams.includes(name),
  );
  const queryParameters =
    operation.method === 'GET'
      ? fields.map(([name, schema]) => ({
          name,
          in: 'query',
          required: input?.required?.includes(name) ?? false,
          schema,
        }))
      : [];
  const hasBody = operation.method !== 'GET' && operation.method !== 'DELETE' && fields.length > 0;
  const status = operation.status ?? 200;
  const error = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  return {
    operationId: operation.procedure.replace('.', '_'),
    summary: operation.summary,
    tags: [operation.tag],
    description: `tRPC: \`${operation.procedure}\`. Access: ${operation.access}.`,
    ...(operation.access === 'public' ? { security: [] } : {}),
    parameters: [...pathParameters, ...queryParameters],
    ...(hasBody
      ? {
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  ...input,
                  properties: Object.fromEntries(fields),
                  required: (input?.required ?? []).filter((name) => !operation.pathParams.includes(name)),
                },
              },
            },
          },
        }
      : {}),
    responses: {
      [status]:
        status === 204 || !operation.output
          ? { description: 'Done, no content' }
          : {
              description: 'Success',
              content: { 'application/json': { schema: jsonSchema(operation.output, 'output') } },
            },
      ...Object.fromEntries(
        errorStatuses(operation).map((code) => [
          code,
          { description: code === 409 ? operation.conflict : ERROR_DESCRIPTIONS[code], ...error },
        ]),
      ),
    },
  };
}

export function buildOpenApiDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of restOperations()) {
    const path = REST_PREFIX + operation.path;
    paths[path] ??= {};
    paths[path][operation.method.toLowerCase()] = operationObject(operation);
  }
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
    ],
    security: [{ bearerAuth: [] }],
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: jsonSchema(ErrorBody, 'output') },
    },
    paths,
  };
}
