import {
  AGENT_SETTABLE_FIELDS,
  type Agent,
  type AgentRevision,
  type AuditAction,
  type AuditEvent,
  type AuditEventPage,
  type AuditListInput,
  type AuditResourceType,
  type ChangeActor,
  type FieldChange,
  type Page,
  type RevisionAction,
  type RevisionListInput,
  type ServedRelease,
  type SessionTemplate,
  type SessionTemplateRevision,
  TEMPLATE_SETTABLE_FIELDS,
} from '@switchboard/contract';
import { type AuditEventRow, auditEvents, type Db, type RevisionRow, revisions } from '@switchboard/db';
import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { AppError, notFound } from '../../core/errors';

/** Who is making a change, for whom, and in which request: what every revision and audit event records. */
export interface Attribution {
  organizationId: string;
  actor: ChangeActor;
  requestId: string;
}

/** The two kinds of entity that keep revisions, with the fields a client sets on each. */
export const HISTORY = {
  agent: { label: 'Agent', fields: AGENT_SETTABLE_FIELDS },
  sessionTemplate: { label: 'Session template', fields: TEMPLATE_SETTABLE_FIELDS },
} as const;
export type HistoryKind = keyof typeof HISTORY;
type Entity<K extends HistoryKind> = K extends 'agent' ? Agent : SessionTemplate;

/** Every client-settable field whose value differs between two states of an entity. */
export function changedFields<K extends HistoryKind>(
  kind: K,
  before: Entity<K>,
  after: Entity<K>,
): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of HISTORY[kind].fields) {
    const from = (before as Record<string, unknown>)[field];
    const to = (after as Record<string, unknown>)[field];
    if (JSON.stringify(from) !== JSON.stringify(to)) changes.push({ field, before: from, after: to });
  }
  return changes;
}

/** One change of an agent or a template: what `recordRevisions` writes. */
export interface Change<K extends HistoryKind = HistoryKind> {
  kind: K;
  action: RevisionAction;
  /** The entity before the change; null for a create, clone or import that creates. */
  before: Entity<K> | null;
  after: Entity<K>;
}

/**
 * Records changes of agents and templates: for each, its revision (the entity as it stands after
 * the change, the fields that changed since `before`, and for a template the version of each of its
 * agents, read in the same statement) and its audit event, all in one statement of the change's
 * transaction, however many changes (an import writes thousands at once).
 */
export async function recordRevisions(tx: Db, by: Attribution, changes: Change[]): Promise<void> {
  if (!changes.length) return;
  const entries = changes.map(({ kind, action, before, after }) => ({
    kind,
    action,
    id: after.id,
    version: after.version,
    name: after.name,
    changes: before ? changedFields(kind, before as never, after as never) : [],
    snapshot: after,
  }));
  const { actor } = by;
  await tx.execute(sql`
    with entry as (
      select value as entry from jsonb_array_elements(${JSON.stringify(entries)}::jsonb)
    ),
    revision as (
      insert into ${revisions} (organization_id, resource_type, resource_id, version, action, actor_type,
        actor_id, actor_name, changes, snapshot, agent_versions)
      select ${by.organizationId}::uuid, entry ->> 'kind', (entry ->> 'id')::uuid, (entry ->> 'version')::int,
        entry ->> 'action', ${actor.type}::text, ${actor.id}::uuid, ${actor.name}::text, entry -> 'changes',
        entry -> 'snapshot',
        case when entry ->> 'kind' = 'sessionTemplate' then (
          select coalesce(jsonb_object_agg(agents.id, agents.version), '{}'::jsonb)
          from agents
          where agents.organization_id = ${by.organizationId}::uuid
            -- = any(array): an index lookup per agent, not a scan of the organization's agents per entry
            and agents.id = any(array(select jsonb_array_elements_text(entry -> 'snapshot' -> 'agentIds')::uuid))
        ) end
      from entry
      returning resource_type, resource_id, version, action, at, snapshot ->> 'name' as name
    )
    insert into ${auditEvents} (organization_id, at, actor_type, actor_id, actor_name, action, resource_type,
      resource_id, resource_name, version, request_id)
    select ${by.organizationId}::uuid, revision.at, ${actor.type}::text, ${actor.id}::uuid, ${actor.name}::text,
      revision.resource_type || '.' || revision.action, revision.resource_type, revision.resource_id,
      revision.name, revision.version, ${by.requestId}::text
    from revision`);
}

/** Records one change of an agent or a template (`recordRevisions` of one). */
export function recordRevision<K extends HistoryKind>(
  tx: Db,
  by: Attribution,
  kind: K,
  action: RevisionAction,
  before: Entity<K> | null,
  after: Entity<K>,
): Promise<void> {
  return recordRevisions(tx, by, [{ kind, action, before, after } as Change]);
}

/**
 * Records an audit event of a change that keeps no revision (members, API keys, imports,
 * environments; a deployment's with the deployment's `version`).
 */
export async function recordEvent(
  tx: Db,
  by: Attribution,
  action: AuditAction,
  resource: { type: AuditResourceType; id: string; name: string },
  version: number | null = null,
  release: ServedRelease | null = null,
  guard: AuditEvent['guard'] | null = null,
): Promise<void> {
  await tx.insert(auditEvents).values({
    organizationId: by.organizationId,
    actorType: by.actor.type,
    actorId: by.actor.id,
    actorName: by.actor.name,
    action,
    resourceType: resource.type,
    resourceId: resource.id,
    resourceName: resource.name,
    version,
    requestId: by.requestId,
    release,
    guard,
  });
}

function toRevision(row: RevisionRow): AgentRevision | SessionTemplateRevision {
  const revision = {
    version: row.version,
    action: row.action,
    actor: { type: row.actorType, id: row.actorId, name: row.actorName },
    at: row.at.toISOString(),
    changes: row.changes as FieldChange[],
  };
  return row.resourceType === 'sessionTemplate'
    ? {
        ...revision,
        snapshot: row.snapshot as SessionTemplate,
        agentVersions: (row.agentVersions ?? {}) as Record<string, number>,
      }
    : { ...revision, snapshot: row.snapshot as Agent };
}

/** A cursor that carries one number (a version, a sequence), tagged so one list's cursor is not another's. */
export function encodeNumberCursor(tag: string, value: number): string {
  return Buffer.from(`${tag}|${value}`).toString('base64url');
}

export function decodeNumberCursor(tag: string, cursor: string): number {
  const match = /^(\w+)\|(\d{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const value = match && match[1] === tag ? Number(match[2]) : Number.NaN;
  if (!Number.isSafeInteger(value) || encodeNumberCursor(tag, value) !== cursor) {
    throw new AppError('BAD_REQUEST', 'Invalid cursor: pass the nextCursor of a previous page', {
      issues: [{ path: ['cursor'], message: 'Invalid cursor' }],
    });
  }
  return value;
}

function ofResource(kind: HistoryKind, organizationId: string, id: string) {
  return and(
    eq(revisions.resourceId, id),
    eq(revisions.organizationId, organizationId),
    eq(revisions.resourceType, kind),
  );
}

/**
 * A page of an entity's revisions, newest first (keyset on the primary key `(resource_id, version)`,
 * so a deep page costs what the first does). Also for a deleted entity; 404 when the organization
 * has no such entity.
 */
export async function listRevisions<K extends HistoryKind>(
  db: Db,
  kind: K,
  organizationId: string,
  query: z.output<typeof RevisionListInput>,
): Promise<Page<K extends 'agent' ? AgentRevision : SessionTemplateRevision>> {
  const before = query.cursor ? decodeNumberCursor('revision', query.cursor) : undefined;
  const rows = await db
    .select()
    .from(revisions)
    .where(
      and(
        ofResource(kind, organizationId, query.id),
        before === undefined ? undefined : lt(revisions.version, before),
      ),
    )
    .orderBy(desc(revisions.version))
    .limit(query.limit + 1);
  if (!rows.length && before === undefined) throw notFound(HISTORY[kind].label, query.id);
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  return {
    items: items.map(toRevision) as never,
    nextCursor: rows.length > query.limit && last ? encodeNumberCursor('revision', last.version) : null,
  };
}

/**
 * Revision `version` of an entity (also of a deleted one). 404 when there is none: "not found" when
 * the organization has no such entity (asked only then), else "has no revision N".
 */
async function findRevision(
  db: Db,
  kind: HistoryKind,
  organizationId: string,
  id: string,
  version: number,
): Promise<RevisionRow> {
  const [row] = await db
    .select()
    .from(revisions)
    .where(and(ofResource(kind, organizationId, id), eq(revisions.version, version)))
    .limit(1);
  if (row) return row;
  const [any] = await db
    .select({ version: revisions.version })
    .from(revisions)
    .where(ofResource(kind, organizationId, id))
    .limit(1);
  if (!any) throw notFound(HISTORY[kind].label, id);
  throw new AppError('NOT_FOUND', `${HISTORY[kind].label} ${id} has no revision ${version}`);
}

/** One revision of an entity (also of a deleted one); 404 when there is none. */
export async function getRevision<K extends HistoryKind>(
  db: Db,
  kind: K,
  organizationId: string,
  id: string,
  version: number,
): Promise<K extends 'agent' ? AgentRevision : SessionTemplateRevision> {
  return toRevision(await findRevision(db, kind, organizationId, id, version)) as never;
}

/** The snapshot of revision `version`, for a restore; 404 when the entity or the revision is missing. */
export async function snapshotAt<K extends HistoryKind>(
  tx: Db,
  kind: K,
  organizationId: string,
  id: string,
  version: number,
): Promise<Entity<K>> {
  return (await findRevision(tx, kind, organizationId, id, version)).snapshot as Entity<K>;
}

/** The client-settable fields of a snapshot: what a restore puts back. */
export function settableFields<K extends HistoryKind>(kind: K, snapshot: Entity<K>) {
  return Object.fromEntries(
    HISTORY[kind].fields.map((field) => [field, (snapshot as Record<string, unknown>)[field]]),
  ) as Pick<Entity<K>, (typeof HISTORY)[K]['fields'][number] & keyof Entity<K>>;
}

export function toAuditEvent(row: AuditEventRow): AuditEvent {
  return {
    id: row.id,
    at: row.at.toISOString(),
    actor: { type: row.actorType, id: row.actorId, name: row.actorName },
    action: row.action,
    resource: { type: row.resourceType, id: row.resourceId, name: row.resourceName },
    version: row.version,
    requestId: row.requestId,
    sequence: row.sequence,
    ...(row.release ? { release: row.release as ServedRelease } : {}),
    ...(row.guard ? { guard: row.guard as NonNullable<AuditEvent['guard']> } : {}),
  };
}

/** A page of the organization's audit log, newest first, filtered. */
export async function listAuditEvents(
  db: Db,
  organizationId: string,
  query: z.output<typeof AuditListInput>,
): Promise<AuditEventPage> {
  const before = query.cursor ? decodeNumberCursor('event', query.cursor) : undefined;
  const rows = await db
    .select()
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.organizationId, organizationId),
        query.resourceType === undefined ? undefined : eq(auditEvents.resourceType, query.resourceType),
        query.resourceId === undefined ? undefined : eq(auditEvents.resourceId, query.resourceId),
        query.actorId === undefined ? undefined : eq(auditEvents.actorId, query.actorId),
        query.action === undefined ? undefined : eq(auditEvents.action, query.action),
        before === undefined ? undefined : lt(auditEvents.seq, before),
      ),
    )
    .orderBy(desc(auditEvents.seq))
    .limit(query.limit + 1);
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  return {
    items: items.map(toAuditEvent),
    nextCursor: rows.length > query.limit && last ? encodeNumberCursor('event', last.seq) : null,
  };
}
