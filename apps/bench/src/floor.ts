/**
 * The floor: what a careful hand-written server does for the benchmarked routes, with no ORM and
 * no tRPC: Fastify + postgres.js (which prepares every statement), the same JWT verification,
 * JSON.stringify responses. Writes lock only the rows a rule reads: a create shares its agents
 * (`FOR SHARE`) while it checks them and inserts; a rename locks only the template's row; a change of
 * agents locks the template's row and shares the new agents while it checks their rules. Like the
 * server, every write records its revision and audit event in its transaction, here in one
 * hand-written statement. It takes nothing of the design under test (no ORM, no shared helpers).
 * Started by the runner as its own process: PORT, DATABASE_URL, JWT_SECRET.
 */
import Fastify from 'fastify';
import { jwtVerify } from 'jose';
import postgres from 'postgres';

const sql = postgres(process.env.DATABASE_URL!, {
  max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
  onnotice: () => {},
});
const key = new TextEncoder().encode(process.env.JWT_SECRET!);
const app = Fastify({ logger: false });

interface Claims {
  sub: string;
  org: string;
  role: string;
}

async function auth(header: string | undefined): Promise<Claims | null> {
  if (!header?.startsWith('Bearer ')) return null;
  try {
    const { payload } = await jwtVerify(header.slice(7), key, { algorithms: ['HS256'] });
    return payload as unknown as Claims;
  } catch {
    return null;
  }
}

const COLUMNS = sql`id, organization_id as "organizationId", name, description, agent_ids as "agentIds",
  initial_agent_id as "initialAgentId", modality_profile as "modalityProfile", enabled_panels as "enabledPanels",
  max_duration_seconds as "maxDurationSeconds", idle_timeout_seconds as "idleTimeoutSeconds", is_active as "isActive",
  version, created_at as "createdAt", updated_at as "updatedAt"`;

const COVERS: Record<string, string[]> = {
  audio_only: ['audio_only'],
  audio_camera: ['audio_only', 'audio_camera'],
  audio_screenshare: ['audio_only', 'audio_screenshare'],
  audio_camera_screenshare: ['audio_only', 'audio_camera', 'audio_screenshare'],
};

app.get('/health/ready', async () => ({ status: 'ready' }));

app.get('/floor/me', async (req, reply) => {
  const claims = await auth(req.headers.authorization);
  if (!claims) return reply.code(401).send({ error: { code: 'UNAUTHORIZED' } });
  const [row] = await sql`select u.id, u.email, u.role, o.id as "organizationId", o.name as "organizationName"
    from users u join organizations o on o.id = u.organization_id where u.id = ${claims.sub}`;
  return row;
});

app.get<{ Params: { id: string } }>('/floor/templates/:id', async (req, reply) => {
  const claims = await auth(req.headers.authorization);
  if (!claims) return reply.code(401).send({ error: { code: 'UNAUTHORIZED' } });
  const [row] = await sql`select ${COLUMNS} from session_templates
    where id = ${req.params.id} and organization_id = ${claims.org} and is_active`;
  if (!row) return reply.code(404).send({ error: { code: 'NOT_FOUND' } });
  return row;
});

app.get<{ Querystring: { limit?: string } }>('/floor/templates', async (req, reply) => {
  const claims = await auth(req.headers.authorization);
  if (!claims) return reply.code(401).send({ error: { code: 'UNAUTHORIZED' } });
  const limit = Number(req.query.limit ?? 50);
  const rows =
    await sql`select ${COLUMNS} from session_templates where organization_id = ${claims.org} and is_active
    order by created_at desc, id desc limit ${limit + 1}`;
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  const nextCursor =
    rows.length > limit && last
      ? Buffer.from(`${(last.createdAt as Date).toISOString()}|${last.id}`).toString('base64url')
      : null;
  return { items, nextCursor };
});

interface TemplateBody {
  name: string;
  agentIds: string[];
  modalityProfile?: string;
  enabledPanels?: string[];
  idleTimeoutSeconds?: number;
}

app.post<{ Body: TemplateBody }>('/floor/templates', async (req, reply) => {
  const claims = await auth(req.headers.authorization);
  if (!claims) return reply.code(401).send({ error: { code: 'UNAUTHORIZED' } });
  if (claims.role !== 'admin') return reply.code(403).send({ error: { code: 'FORBIDDEN' } });
  const body = req.body;
  const profile = body.modalityProfile ?? 'audio_only';
  const panels = body.enabledPanels ?? [];
  const result = await sql.begin(async (tx) => {
    const agents = await tx`select id, modality, panels, version from agents
      where organization_id = ${claims.org} and is_active and id = any(${body.agentIds}::uuid[])
      order by id for share`;
    if (agents.length !== body.agentIds.length) return null;
    if (agents.some((agent) => !COVERS[profile]!.includes(agent.modality))) return null;
    const provided = new Set(agents.flatMap((agent) => agent.panels as string[]));
    if (panels.some((panel) => !provided.has(panel))) return null;
    const [row] = await tx`insert into session_templates
      (organization_id, name, agent_ids, modality_profile, enabled_panels, idle_timeout_seconds)
      values (${claims.org}, ${body.name.trim()}, ${body.agentIds}::uuid[], ${profile}, ${panels}::text[], ${body.idleTimeoutSeconds ?? 300})
      returning ${COLUMNS}`;
    const agentVersions = Object.fromEntries(agents.map((agent) => [agent.id, agent.version]));
    await record(tx, claims, 'created', row!, [], agentVersions, req.id);
    return row;
  });
  if (!result) return reply.code(400).send({ error: { code: 'BAD_REQUEST' } });
  return reply.code(201).send(result);
});

app.put<{ Params: { id: string }; Body: { name?: string; agentIds?: string[] } }>(
  '/floor/templates/:id',
  async (req, reply) => {
    const claims = await auth(req.headers.authorization);
    if (!claims) return reply.code(401).send({ error: { code: 'UNAUTHORIZED' } });
    if (claims.role !== 'admin') return reply.code(403).send({ error: { code: 'FORBIDDEN' } });
    const { agentIds } = req.body;
    const name = req.body.name?.trim();
    const row = await sql.begin(async (tx) => {
      let versions: { id: string; version: number }[] | null = null;
      const [current] = await tx`select name, agent_ids as "agentIds", initial_agent_id as "initialAgentId",
          modality_profile as "modalityProfile", enabled_panels as "enabledPanels"
        from session_templates
        where id = ${req.params.id} and organization_id = ${claims.org} and is_active for update`;
      if (!current) return null;
      const changes: { field: string; before: unknown; after: unknown }[] = [];
      if (name !== undefined && name !== current.name)
        changes.push({ field: 'name', before: current.name, after: name });
      if (agentIds) {
        // The new agents, shared while their rules are read: active, the organization's, covered by
        // the template's media profile, providing its panels, the first speaker among them.
        const agents = await tx`select id, modality, panels, version from agents
          where organization_id = ${claims.org} and is_active and id = any(${agentIds}::uuid[])
          order by id for share`;
        if (agents.length !== agentIds.length) return 'invalid';
        if (agents.some((agent) => !COVERS[current.modalityProfile]!.includes(agent.modality)))
          return 'invalid';
        const provided = new Set(agents.flatMap((agent) => agent.panels as string[]));
        if ((current.enabledPanels as string[]).some((panel) => !provided.has(panel))) return 'invalid';
        if (current.initialAgentId && !agentIds.includes(current.initialAgentId)) return 'invalid';
        if (JSON.stringify(agentIds) !== JSON.stringify(current.agentIds)) {
          changes.push({ field: 'agentIds', before: current.agentIds, after: agentIds });
        }
        versions = agents as unknown as { id: string; version: number }[];
      }
      const [updated] = await tx`update session_templates set name = ${name ?? current.name},
          agent_ids = ${agentIds ?? current.agentIds}::uuid[], version = version + 1, updated_at = now()
        where id = ${req.params.id} returning ${COLUMNS}`;
      // The agents' versions: read with the new agents already, else now.
      versions ??= (await tx`select id, version from agents
        where id = any(${updated!.agentIds}::uuid[])`) as unknown as { id: string; version: number }[];
      const agentVersions = Object.fromEntries(versions.map((agent) => [agent.id, agent.version]));
      await record(tx, claims, 'updated', updated!, changes, agentVersions, req.id);
      return updated;
    });
    if (row === 'invalid') return reply.code(400).send({ error: { code: 'BAD_REQUEST' } });
    if (!row) return reply.code(404).send({ error: { code: 'NOT_FOUND' } });
    return row;
  },
);

/** The template's revision and its audit event, in one statement of the write's transaction. */
async function record(
  tx: postgres.TransactionSql,
  claims: Claims,
  action: string,
  row: postgres.Row,
  changes: unknown[],
  agentVersions: Record<string, number>,
  requestId: string,
) {
  await tx`with actor as (select coalesce(full_name, email) as name from users where id = ${claims.sub}),
    revision as (
      insert into revisions (organization_id, resource_type, resource_id, version, action, actor_type, actor_id,
        actor_name, changes, snapshot, agent_versions)
      select ${claims.org}, 'sessionTemplate', ${row.id}, ${row.version}, ${action}, 'user', ${claims.sub},
        actor.name, ${JSON.stringify(changes)}::jsonb, ${JSON.stringify(row)}::jsonb, ${JSON.stringify(agentVersions)}::jsonb
      from actor
      returning at, actor_name)
    insert into audit_events (organization_id, at, actor_type, actor_id, actor_name, action, resource_type, resource_id,
      resource_name, version, request_id)
    select ${claims.org}, at, 'user', ${claims.sub}, actor_name, ${`sessionTemplate.${action}`}, 'sessionTemplate',
      ${row.id}, ${row.name}, ${row.version}, ${requestId} from revision`;
}

await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
