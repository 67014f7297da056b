// Longer than 450 lines: the release records, what they serve and the plans of release moves share the revision readers defined here.
import {
  type Agent,
  type CanaryRelease,
  PRODUCTION,
  type PromotionChange,
  type Release,
  type ReleaseHistoryInput,
  type ReleaseRecord,
  type ReleaseRecordAction,
  type ReleaseRecordPage,
  type ReleaseWarning,
  type Served,
  type ServedRelease,
  type SessionTemplate,
  sameRelease,
  type Variable,
} from '@switchboard/contract';
import {
  agents,
  type Db,
  type DeploymentRow,
  type EnvironmentRow,
  type ReleaseRecordRow,
  releaseRecords,
  revisions,
  sessionTemplates,
} from '@switchboard/db';
import { and, asc, desc, eq, inArray, lt, lte, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { isUniqueViolation, RetryTransaction, rowsOf } from '../../core/db';
import { notFound } from '../../core/errors';
import { type Attribution, changedFields, decodeNumberCursor, encodeNumberCursor } from '../history/history';

/**
 * Release records (docs/api.md "Releases"): every change of
 * what an environment serves for a template is one numbered, append-only record, written in the
 * transaction of the change. The deployment row is the latest record's state; rollback and
 * `served?at=` read the records.
 */

export const stableOf = (row: DeploymentRow): Release => ({
  templateVersion: row.stableTemplateVersion,
  agentVersions: row.stableAgentVersions,
});

export const canaryOf = (row: DeploymentRow): CanaryRelease | null =>
  row.canaryPercent === null || row.canaryTemplateVersion === null || row.canaryAgentVersions === null
    ? null
    : {
        templateVersion: row.canaryTemplateVersion,
        agentVersions: row.canaryAgentVersions,
        percent: row.canaryPercent,
      };

/** What a deployment row serves. */
export const servedBy = (row: DeploymentRow): ServedRelease => ({
  stable: stableOf(row),
  canary: canaryOf(row),
});

/** What a record says the environment serves from then on. */
export function recordServes(row: ReleaseRecordRow): ServedRelease {
  return {
    stable:
      row.stableTemplateVersion === null || row.stableAgentVersions === null
        ? null
        : { templateVersion: row.stableTemplateVersion, agentVersions: row.stableAgentVersions },
    canary:
      row.canaryPercent === null || row.canaryTemplateVersion === null || row.canaryAgentVersions === null
        ? null
        : {
            templateVersion: row.canaryTemplateVersion,
            agentVersions: row.canaryAgentVersions,
            percent: row.canaryPercent,
          },
  };
}

/** Whether two states serve the same sessions (the same stable, the same canary and share). */
export function sameServed(a: ServedRelease, b: ServedRelease): boolean {
  const same = (x: Release | null, y: Release | null) =>
    x === null || y === null ? x === y : sameRelease(x, y);
  return (
    same(a.stable, b.stable) &&
    same(a.canary, b.canary) &&
    (a.canary?.percent ?? null) === (b.canary?.percent ?? null)
  );
}

export function toReleaseRecord(row: ReleaseRecordRow, environment: string): ReleaseRecord {
  return {
    number: row.number,
    environment,
    templateId: row.templateId,
    action: row.action,
    ...recordServes(row),
    by: { type: row.actorType, id: row.actorId, name: row.actorName },
    at: row.at.toISOString(),
    note: row.note,
    reason: row.reason,
  };
}

/** The columns of a served state, as a record or a deployment row stores them. */
export function servedColumns(served: ServedRelease) {
  return {
    stableTemplateVersion: served.stable?.templateVersion ?? null,
    stableAgentVersions: served.stable?.agentVersions ?? null,
    canaryTemplateVersion: served.canary?.templateVersion ?? null,
    canaryAgentVersions: served.canary?.agentVersions ?? null,
    canaryPercent: served.canary?.percent ?? null,
  };
}

/**
 * Appends the next record of an environment's template: its number is one more than the newest
 * (they never restart). Two first deploys at once both aim at the same number: the later one meets
 * the primary key and runs again, now as a change of the deployment the first one created.
 */
export async function appendRecord(
  tx: Db,
  by: Attribution,
  record: {
    environmentId: string;
    templateId: string;
    action: ReleaseRecordAction;
    served: ServedRelease;
    note: string | null;
    reason?: string | null;
  },
): Promise<ReleaseRecordRow> {
  const { environmentId, templateId } = record;
  const next = sql<number>`(select coalesce(max(${releaseRecords.number}), 0) + 1 from ${releaseRecords}
    where ${releaseRecords.environmentId} = ${environmentId} and ${releaseRecords.templateId} = ${templateId})`;
  try {
    const [row] = await tx
      .insert(releaseRecords)
      .values({
        environmentId,
        templateId,
        number: next,
        organizationId: by.organizationId,
        action: record.action,
        ...servedColumns(record.served),
        actorType: by.actor.type,
        actorId: by.actor.id,
        actorName: by.actor.name,
        note: record.note,
        reason: record.reason ?? null,
      })
      .returning();
    return row!;
  } catch (error) {
    if (isUniqueViolation(error)) throw new RetryTransaction();
    throw error;
  }
}

/**
 * A record for each active template of the organization, in one statement: `pinned` with the
 * current session of each (the environment stops following latest), or `followedLatest` serving
 * nothing fixed (it starts to). Every template gets one, deployed or not, so the records alone say
 * when the environment followed latest for it.
 */
export async function appendSwitchRecords(
  tx: Db,
  by: Attribution,
  environmentId: string,
  action: 'pinned' | 'followedLatest',
  note: string,
): Promise<void> {
  const { actor } = by;
  const session =
    action === 'pinned'
      ? sql`t.version, coalesce((select jsonb_object_agg(a.id, a.version) from agents a
          where a.organization_id = t.organization_id and a.id = any(t.agent_ids)), '{}'::jsonb)`
      : sql`null::int, null::jsonb`;
  await tx.execute(sql`
    insert into ${releaseRecords} (environment_id, template_id, number, organization_id, action,
      stable_template_version, stable_agent_versions, actor_type, actor_id, actor_name, note)
    select ${environmentId}::uuid, t.id,
      coalesce((select max(r.number) from release_records r
                where r.environment_id = ${environmentId}::uuid and r.template_id = t.id), 0) + 1,
      t.organization_id, ${action}::text, ${session},
      ${actor.type}::text, ${actor.id}::uuid, ${actor.name}::text, ${note}::text
    from session_templates t
    where t.organization_id = ${by.organizationId}::uuid and t.is_active`);
}

/** A page of one environment's records of a template, newest first; 404 for a template the organization never had. */
export async function listReleaseRecords(
  db: Db,
  organizationId: string,
  environment: EnvironmentRow,
  query: z.output<typeof ReleaseHistoryInput>,
): Promise<ReleaseRecordPage> {
  const [template] = await db
    .select({ id: sessionTemplates.id })
    .from(sessionTemplates)
    .where(
      and(eq(sessionTemplates.organizationId, organizationId), eq(sessionTemplates.id, query.templateId)),
    );
  if (!template) throw notFound('Session template', query.templateId);
  const before = query.cursor ? decodeNumberCursor('release', query.cursor) : undefined;
  const rows = await db
    .select()
    .from(releaseRecords)
    .where(
      and(
        eq(releaseRecords.environmentId, environment.id),
        eq(releaseRecords.templateId, query.templateId),
        before === undefined ? undefined : lt(releaseRecords.number, before),
      ),
    )
    .orderBy(desc(releaseRecords.number))
    .limit(query.limit + 1);
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  return {
    items: items.map((row) => toReleaseRecord(row, environment.name)),
    nextCursor: rows.length > query.limit && last ? encodeNumberCursor('release', last.number) : null,
  };
}

/** Every record of an environment's template, newest first (what a rollback chooses from). */
export function recordsOf(tx: Db, environmentId: string, templateId: string): Promise<ReleaseRecordRow[]> {
  return tx
    .select()
    .from(releaseRecords)
    .where(and(eq(releaseRecords.environmentId, environmentId), eq(releaseRecords.templateId, templateId)))
    .orderBy(desc(releaseRecords.number));
}

/** The version of each of `ids` as it stands now. */
export async function currentAgentVersions(
  tx: Db,
  organizationId: string,
  ids: string[],
): Promise<Record<string, number>> {
  const rows = await tx
    .select({ id: agents.id, version: agents.version })
    .from(agents)
    .where(and(eq(agents.organizationId, organizationId), inArray(agents.id, ids)));
  return Object.fromEntries(rows.map((row) => [row.id, row.version]));
}

/** The columns of a template a release is made from (and the name a plan shows). */
export const releaseColumns = {
  id: sessionTemplates.id,
  name: sessionTemplates.name,
  version: sessionTemplates.version,
  agentIds: sessionTemplates.agentIds,
};

/** The session a template is now: its version with each of its agents' current version (`versions`). */
export function currentSession(
  template: { version: number; agentIds: string[] },
  versions: Record<string, number>,
): Release {
  return {
    templateVersion: template.version,
    agentVersions: Object.fromEntries(template.agentIds.map((id) => [id, versions[id]!])),
  };
}

/** The snapshots of the revisions named, by `<id>@<version>`, in one query. */
async function snapshots(
  tx: Db,
  organizationId: string,
  wanted: { id: string; version: number }[],
): Promise<Map<string, unknown>> {
  if (!wanted.length) return new Map();
  const rows = await tx
    .select({ id: revisions.resourceId, version: revisions.version, snapshot: revisions.snapshot })
    .from(revisions)
    .where(
      and(
        eq(revisions.organizationId, organizationId),
        sql`(${revisions.resourceId}, ${revisions.version}) in (
          select (value ->> 'id')::uuid, (value ->> 'version')::int
          from jsonb_array_elements(${JSON.stringify(wanted)}::jsonb))`,
      ),
    );
  return new Map(rows.map((row) => [`${row.id}@${row.version}`, row.snapshot]));
}

/** An agent revision written before variables existed has none. */
export const withVariables = (agent: Agent): Agent => ({ ...agent, variables: agent.variables ?? [] });

/** One template's move from what it serves (`from`) to `to`, and the canary it ends, if any. */
export interface ReleaseMove {
  templateId: string;
  templateName: string;
  from: Release | null;
  to: Release;
  endedCanary?: CanaryRelease | null;
}

/**
 * What moving templates from one release to another changes (their settings, and each agent whose
 * version moves), and the warnings the moves earn in `target`:
 * - `requiredVariableAdded`: an agent of `to` requires a variable that no agent of `from` required
 *   (runtimes that do not send it get `renderedInstructions: null`); none for a first deploy.
 * - `neverServed` (only when the target is production): no environment has served `to` as its
 *   stable, neither in its records nor, following latest, as a template revision or the current
 *   session. A release production itself served before (a rollback) has been served.
 */
export async function planMoves(
  tx: Db,
  organizationId: string,
  target: EnvironmentRow,
  moves: ReleaseMove[],
): Promise<{ changes: PromotionChange[]; warnings: ReleaseWarning[] }> {
  const wanted: { id: string; version: number }[] = [];
  for (const { templateId, from, to } of moves) {
    for (const release of from ? [from, to] : [to]) {
      wanted.push({ id: templateId, version: release.templateVersion });
      for (const [id, version] of Object.entries(release.agentVersions)) wanted.push({ id, version });
    }
  }
  const found = await snapshots(tx, organizationId, wanted);
  const at = <T>(id: string, version: number | undefined) =>
    version === undefined ? undefined : (found.get(`${id}@${version}`) as T | undefined);
  const warnings: ReleaseWarning[] = [];
  const changes = moves.map(({ templateId, templateName, from, to, endedCanary }) => {
    const after = at<SessionTemplate>(templateId, to.templateVersion)!;
    const before = from ? at<SessionTemplate>(templateId, from.templateVersion) : undefined;
    const ids = [...new Set([...Object.keys(from?.agentVersions ?? {}), ...Object.keys(to.agentVersions)])];
    const movedAgents = ids.flatMap((agentId) => {
      const fromVersion = from?.agentVersions[agentId];
      const toVersion = to.agentVersions[agentId];
      if (fromVersion === toVersion) return [];
      const old = at<Agent>(agentId, fromVersion);
      const next = at<Agent>(agentId, toVersion);
      return [
        {
          agentId,
          name: (next ?? old)?.name ?? agentId,
          fromVersion: fromVersion ?? null,
          toVersion: toVersion ?? null,
          fields: old && next ? changedFields('agent', withVariables(old), withVariables(next)) : [],
        },
      ];
    });
    if (from) {
      const requiredBefore = new Set(
        Object.entries(from.agentVersions).flatMap(([id, version]) =>
          requiredNames(at<Agent>(id, version)?.variables),
        ),
      );
      const reported = new Set<string>();
      // In the template's agent order, so the agent named is the first that requires it.
      for (const agentId of after?.agentIds ?? Object.keys(to.agentVersions)) {
        const agent = at<Agent>(agentId, to.agentVersions[agentId]);
        for (const name of requiredNames(agent?.variables)) {
          if (requiredBefore.has(name) || reported.has(name)) continue;
          reported.add(name);
          warnings.push({
            code: 'requiredVariableAdded',
            templateId,
            name,
            agentId,
            message: `${agent?.name ?? agentId} now requires "${name}": a runtime that does not send it gets no rendered instructions`,
          });
        }
      }
    }
    return {
      templateId,
      templateName,
      from,
      to,
      fields: before && after ? changedFields('sessionTemplate', before, after) : [],
      agents: movedAgents,
      endedCanary: endedCanary ?? null,
    };
  });
  if (target.name === PRODUCTION && moves.length) {
    const unserved = await neverServed(tx, organizationId, target, moves);
    for (const move of moves.filter((_, index) => unserved[index])) {
      warnings.push({
        code: 'neverServed',
        templateId: move.templateId,
        release: move.to,
        message: `Version ${move.to.templateVersion} of ${move.templateName} with these agent versions has never been served by another environment`,
      });
    }
  }
  return { changes, warnings };
}

const requiredNames = (variables: Variable[] | undefined) =>
  (variables ?? []).filter((variable) => variable.required).map((variable) => variable.name);

/** For each move, whether no environment has ever served its `to` as the stable (one query for all). */
async function neverServed(
  tx: Db,
  organizationId: string,
  target: EnvironmentRow,
  moves: ReleaseMove[],
): Promise<boolean[]> {
  const asked = moves.map((move) => ({
    templateId: move.templateId,
    templateVersion: move.to.templateVersion,
    agentVersions: move.to.agentVersions,
  }));
  const rows = rowsOf<{ i: number | string; served: boolean }>(
    await tx.execute(sql`
    with asked as (
      select ordinality - 1 as i, (value ->> 'templateId')::uuid as template_id,
        (value ->> 'templateVersion')::int as template_version, value -> 'agentVersions' as agent_versions
      from jsonb_array_elements(${JSON.stringify(asked)}::jsonb) with ordinality
    )
    select i, (
      exists (select 1 from release_records r
              where r.organization_id = ${organizationId}::uuid and r.template_id = a.template_id
                and r.stable_template_version = a.template_version and r.stable_agent_versions = a.agent_versions)
      or (exists (select 1 from environments e
                  where e.organization_id = ${organizationId}::uuid and e.follows_latest and e.id <> ${target.id}::uuid)
          and (exists (select 1 from revisions v
                       where v.organization_id = ${organizationId}::uuid and v.resource_type = 'sessionTemplate'
                         and v.resource_id = a.template_id and v.version = a.template_version
                         and v.agent_versions = a.agent_versions)
               or exists (select 1 from session_templates t
                          where t.id = a.template_id and t.organization_id = ${organizationId}::uuid
                            and t.version = a.template_version
                            and coalesce((select jsonb_object_agg(g.id, g.version) from agents g
                                          where g.organization_id = t.organization_id and g.id = any(t.agent_ids)),
                                         '{}'::jsonb) = a.agent_versions)))
    ) as served
    from asked a`),
  );
  const served = new Map(rows.map((row) => [Number(row.i), row.served]));
  return moves.map((_, index) => !served.get(index));
}

/**
 * What an environment served at `at`, template by template (docs/api.md `served?at=`). A template's
 * newest record at or before `at` says it, unless that record is `followedLatest` (then, as before
 * its first record when that is `pinned`, and always for a template without records in an
 * environment that follows latest now, it served the session current at `at`: the newest template
 * revision then, with each agent's newest revision then). Nothing before the environment existed.
 */
export async function servedAt(
  db: Db,
  organizationId: string,
  environment: EnvironmentRow,
  at: Date,
  templateId: string | undefined,
): Promise<Served> {
  const answer: Served = { at: at.toISOString(), items: [] };
  if (at < environment.createdAt) return answer;
  const only = templateId === undefined ? undefined : eq(releaseRecords.templateId, templateId);
  const [latest, first] = await Promise.all([
    db
      .selectDistinctOn([releaseRecords.templateId])
      .from(releaseRecords)
      .where(and(eq(releaseRecords.environmentId, environment.id), lte(releaseRecords.at, at), only))
      .orderBy(releaseRecords.templateId, desc(releaseRecords.number)),
    db
      .selectDistinctOn([releaseRecords.templateId], {
        templateId: releaseRecords.templateId,
        action: releaseRecords.action,
      })
      .from(releaseRecords)
      .where(and(eq(releaseRecords.environmentId, environment.id), only))
      .orderBy(releaseRecords.templateId, asc(releaseRecords.number)),
  ]);
  const fixed = new Map<string, ServedRelease>();
  const followingLatest = new Set<string>();
  for (const row of latest) {
    if (row.action === 'followedLatest') followingLatest.add(row.templateId);
    else if (row.stableTemplateVersion !== null) fixed.set(row.templateId, recordServes(row));
  }
  const recorded = new Set(latest.map((row) => row.templateId));
  for (const row of first) {
    if (!recorded.has(row.templateId) && row.action === 'pinned') followingLatest.add(row.templateId);
  }
  // Following latest now, a template with no record at all has followed latest all along.
  const unrecorded = environment.followsLatest
    ? { except: first.map((row) => row.templateId), only: templateId }
    : undefined;
  const sessions = await sessionsAt(db, organizationId, at, [...followingLatest], unrecorded);
  for (const [id, stable] of sessions) fixed.set(id, { stable, canary: null });
  if (!fixed.size) return answer;
  const names = await db
    .select({ id: sessionTemplates.id, name: sessionTemplates.name })
    .from(sessionTemplates)
    .where(
      and(
        eq(sessionTemplates.organizationId, organizationId),
        inArray(sessionTemplates.id, [...fixed.keys()]),
      ),
    );
  answer.items = names
    .map(({ id, name }) => {
      const served = fixed.get(id)!;
      return { templateId: id, templateName: name, stable: served.stable!, canary: served.canary };
    })
    .sort((a, b) =>
      a.templateName === b.templateName
        ? a.templateId < b.templateId
          ? -1
          : 1
        : a.templateName < b.templateName
          ? -1
          : 1,
    );
  return answer;
}

/**
 * The session current at `at` of each template in `ids` and, with `unrecorded`, of every template
 * of the organization but `except` (or of `only`): the newest template revision at or before `at`
 * (none, or a deletion: not served) with each of its agents' newest revision then.
 */
async function sessionsAt(
  db: Db,
  organizationId: string,
  at: Date,
  ids: string[],
  unrecorded: { except: string[]; only: string | undefined } | undefined,
): Promise<Map<string, Release>> {
  if (!ids.length && !unrecorded) return new Map();
  const json = (values: string[]) => JSON.stringify(values);
  const scope = unrecorded
    ? sql`(v.resource_id in (select value::uuid from jsonb_array_elements_text(${json(ids)}::jsonb))
          or (v.resource_id not in (select value::uuid from jsonb_array_elements_text(${json(unrecorded.except)}::jsonb))
              ${unrecorded.only === undefined ? sql`` : sql`and v.resource_id = ${unrecorded.only}::uuid`}))`
    : sql`v.resource_id in (select value::uuid from jsonb_array_elements_text(${json(ids)}::jsonb))`;
  const rows = rowsOf<{ template_id: string; version: number; agent_versions: Record<string, number> }>(
    await db.execute(sql`
      with template as (
        select distinct on (v.resource_id) v.resource_id, v.version, v.action, v.snapshot -> 'agentIds' as agent_ids
        from revisions v
        where v.organization_id = ${organizationId}::uuid and v.resource_type = 'sessionTemplate'
          and v.at <= ${at.toISOString()}::timestamptz and ${scope}
        order by v.resource_id, v.version desc
      )
      select t.resource_id as template_id, t.version, (
        select coalesce(jsonb_object_agg(a.resource_id, a.version), '{}'::jsonb) from (
          select distinct on (r.resource_id) r.resource_id, r.version from revisions r
          where r.organization_id = ${organizationId}::uuid and r.resource_type = 'agent'
            and r.at <= ${at.toISOString()}::timestamptz
            and r.resource_id = any(array(select jsonb_array_elements_text(t.agent_ids)::uuid))
          order by r.resource_id, r.version desc) a
      ) as agent_versions
      from template t
      where t.action <> 'deleted'`),
  );
  return new Map(
    rows.map((row) => [
      row.template_id,
      {
        templateVersion: Number(row.version),
        // postgres.js parses jsonb; be as exact about a driver that answers text
        agentVersions:
          typeof row.agent_versions === 'string' ? JSON.parse(row.agent_versions) : row.agent_versions,
      },
    ]),
  );
}
