// Longer than 450 lines: the two prepared statements that serve a session config, the cache of what they read and the answer made of it are one path; split, one query's SQL would sit apart from its reader.
import { createHash } from 'node:crypto';
import {
  type Agent,
  inOrder,
  PRODUCTION,
  personaliseSessionConfig,
  profileMedia,
  type ReleaseArm,
  renderSessionAgents,
  type SessionConfig,
  type SessionConfigInput,
  type SessionConfigOverrides,
  type SessionTemplate,
  sessionVariables,
} from '@switchboard/contract';
import { canaryBucket } from '@switchboard/contract/canary';
import { agents, type Db, deployments, environments, sessionTemplates } from '@switchboard/db';
import { and, eq, getTableColumns, not, or, sql } from 'drizzle-orm';
import type { z } from 'zod';
import type { Actor } from '../../core/actor';
import { perDatabase } from '../../core/db';
import { AppError, notFound } from '../../core/errors';
import { withVariables } from '../deployments/releases';
import { unknownEnvironment } from '../environments/environments';

/** A `json` value as the driver hands it over: parsed already (postgres.js, PGlite) or as text. */
const json = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;

/** An ISO 8601 UTC timestamp with milliseconds, as `Date.toISOString()` writes it, in SQL. */
const iso = (column: string) =>
  sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

/**
 * A row of `table` under alias `alias` as the API's object in SQL: every column under its field
 * name, timestamps as ISO strings. A new column is a new field here with no edit.
 */
function rowJson(table: typeof agents | typeof sessionTemplates, alias: string) {
  return sql.join(
    Object.entries(getTableColumns(table)).map(
      ([field, column]) =>
        sql`${sql.raw(`'${field}'`)}, ${column.columnType === 'PgTimestamp' ? iso(`${alias}.${column.name}`) : sql.raw(`${alias}.${column.name}`)}`,
    ),
    sql`, `,
  );
}

/** The template and agents a session gets, as read: the live rows, or the revisions of a release. */
interface Served {
  template: ServedTemplate;
  agents: Agent[];
}
/** What the session config reads of a template: the same fields in a live row and in a revision's snapshot. */
type ServedTemplate = Pick<
  SessionTemplate,
  | 'id'
  | 'version'
  | 'name'
  | 'agentIds'
  | 'initialAgentId'
  | 'modalityProfile'
  | 'enabledPanels'
  | 'maxDurationSeconds'
  | 'idleTimeoutSeconds'
> & { configVersion?: number };

/** Which environment a call reads: by name, or (a bound key's default) by id. */
interface EnvironmentChoice {
  name: string | null;
  id: string | null;
}

/** The session's bucket (the `bucket` placeholder) falls in the deployment's canary. */
const inCanary = sql`(${deployments.canaryPercent} is not null and ${sql.placeholder('bucket')}::int < ${deployments.canaryPercent})`;

/**
 * The release a manual environment serves of the template to the session in `bucket`: a lateral
 * subquery of the environment row (none for an environment that follows latest).
 */
const sessionRelease = (db: Db) =>
  db
    .select({
      arm: sql<'stable' | 'canary'>`case when ${inCanary} then 'canary' else 'stable' end`.as('arm'),
      templateVersion: sql<number>`case when ${inCanary}
        then ${deployments.canaryTemplateVersion} else ${deployments.stableTemplateVersion} end`.as(
        'template_version',
      ),
      agentVersions: sql<Record<string, number>>`case when ${inCanary}
        then ${deployments.canaryAgentVersions} else ${deployments.stableAgentVersions} end`
        .mapWith(json<Record<string, number>>)
        .as('agent_versions'),
    })
    .from(deployments)
    .where(
      and(
        eq(deployments.environmentId, environments.id),
        eq(deployments.templateId, sql.placeholder('id')),
        not(environments.followsLatest),
      ),
    )
    .as('d');

/** The environment a call names: by name, or (a bound key's default) by id; the other is null. */
const chosenEnvironment = and(
  eq(environments.organizationId, sql.placeholder('organizationId')),
  or(eq(environments.name, sql.placeholder('name')), eq(environments.id, sql.placeholder('environmentId'))),
);

/**
 * The live template's `config_version`, for an environment that follows latest (a lateral subquery
 * of the environment row; none for a manual environment, or a template deleted or unknown).
 */
const liveTemplate = (db: Db) =>
  db
    .select({ configVersion: sql<number>`${sessionTemplates.configVersion}`.as('config_version') })
    .from(sessionTemplates)
    .where(
      and(
        eq(sessionTemplates.organizationId, sql.placeholder('organizationId')),
        eq(sessionTemplates.id, sql.placeholder('id')),
        sessionTemplates.isActive,
        environments.followsLatest,
      ),
    )
    .as('t');

/** The environment asked for and its release for the session; for one that follows latest, the template's `config_version`. */
function releaseFields(d: ReturnType<typeof sessionRelease>, t: ReturnType<typeof liveTemplate>) {
  return {
    id: environments.id,
    name: environments.name,
    followsLatest: environments.followsLatest,
    arm: d.arm,
    templateVersion: d.templateVersion,
    agentVersions: d.agentVersions,
    configVersion: t.configVersion,
  };
}

/**
 * The environment, its release of the template for the session, and (for an environment that
 * follows latest) the template's `config_version`, never the template or its agents: one short
 * prepared statement. A revalidation reads only this, and so does a session config whose release
 * this instance holds already (`ServedCache`).
 */
const releaseTag = perDatabase((db) => {
  const d = sessionRelease(db);
  const t = liveTemplate(db);
  return db
    .select(releaseFields(d, t))
    .from(environments)
    .leftJoinLateral(d, sql`true`)
    .leftJoinLateral(t, sql`true`)
    .where(chosenEnvironment)
    .limit(1)
    .prepare('session_config_tag');
});

/**
 * The same row with the template and the full definition of each of its agents in order: one
 * prepared statement, one round trip. An environment that follows latest reads the live rows;
 * another reads the revisions its release names (the agents at exactly the versions it pinned),
 * so nothing is copied and nothing edited since shows. Null when there is nothing to serve.
 */
const servedSession = perDatabase((db) => {
  const d = sessionRelease(db);
  const t = liveTemplate(db);
  const organizationId = sql.placeholder('organizationId');
  const id = sql.placeholder('id');
  return db
    .select({
      ...releaseFields(d, t),
      // `d.` spelt out: revisions have an agent_versions column of their own.
      served: sql<Served | null>`case
        when ${environments.followsLatest} then (
          select json_build_object('template', json_build_object(${rowJson(sessionTemplates, 'st')}),
            'agents', coalesce((
              select json_agg(json_build_object(${rowJson(agents, 'a')}) order by array_position(st.agent_ids, a.id))
              from agents a
              where a.organization_id = st.organization_id and a.id = any(st.agent_ids) and a.is_active
            ), '[]'::json))
          from session_templates st
          where st.organization_id = ${organizationId} and st.id = ${id} and st.is_active)
        when d.template_version is not null then (
          select json_build_object('template', tr.snapshot,
            'agents', coalesce((
              select json_agg(ar.snapshot order by ids.n)
              from jsonb_array_elements_text(tr.snapshot -> 'agentIds') with ordinality ids(agent_id, n)
              join revisions ar on ar.resource_id = ids.agent_id::uuid
                and ar.version = (d.agent_versions ->> ids.agent_id)::int
                and ar.organization_id = ${organizationId} and ar.resource_type = 'agent'
            ), '[]'::json))
          from revisions tr
          where tr.resource_id = ${id} and tr.version = d.template_version
            and tr.organization_id = ${organizationId} and tr.resource_type = 'sessionTemplate')
      end`.mapWith(json<Served | null>),
    })
    .from(environments)
    .leftJoinLateral(d, sql`true`)
    .leftJoinLateral(t, sql`true`)
    .where(chosenEnvironment)
    .limit(1)
    .prepare('session_config');
});

/**
 * What the session is served from, as text: the template's `config_version` in an environment that
 * follows latest (it moves on every change of the template or its agents), else the release
 * (revisions never change). Null when there is nothing to serve. The instance keeps what it served
 * under this key (`ServedCache`).
 */
function releaseKey(row: ReleaseRow): string | null {
  if (row.followsLatest) return row.configVersion === null ? null : `latest:${row.configVersion}`;
  return row.templateVersion === null
    ? null
    : `release:${row.templateVersion}:${JSON.stringify(row.agentVersions)}`;
}

/**
 * The template and agents this instance served, by template and release key (`releaseKey`): a
 * later call whose key the database still answers gets them without their being read again. Never
 * stale (each is held under the key read in the same statement as it, and what a key names never
 * changes), and bounded.
 */
class ServedCache {
  static readonly TEMPLATES = 5_000;
  static readonly KEYS_PER_TEMPLATE = 4;
  readonly #byTemplate = new Map<string, Map<string, Served>>();

  get(organizationId: string, id: string, key: string): Served | undefined {
    return this.#byTemplate.get(`${organizationId}:${id}`)?.get(key);
  }

  set(organizationId: string, id: string, key: string, served: Served): void {
    const name = `${organizationId}:${id}`;
    let held = this.#byTemplate.get(name);
    if (!held) {
      if (this.#byTemplate.size >= ServedCache.TEMPLATES) this.#byTemplate.clear();
      held = new Map();
      this.#byTemplate.set(name, held);
    }
    // The oldest key goes first (a canary's two releases, and the one before, stay).
    if (held.size >= ServedCache.KEYS_PER_TEMPLATE) held.delete(held.keys().next().value!);
    held.set(key, served);
  }
}
const servedCache = perDatabase(() => new ServedCache());

/** The placeholders of both statements for one call. */
function parameters(actor: Actor, chosen: EnvironmentChoice, input: { id: string; sessionKey?: string }) {
  return {
    organizationId: actor.organizationId,
    id: input.id,
    name: chosen.name,
    environmentId: chosen.id,
    bucket: canaryBucket(input.id, input.sessionKey),
  };
}

interface ReleaseRow {
  id: string;
  name: string;
  followsLatest: boolean;
  arm: 'stable' | 'canary' | null;
  templateVersion: number | null;
  agentVersions: Record<string, number> | null;
  configVersion: number | null;
}

/** The environment a call reads: the one asked for, else the key's, else production. */
function chooseEnvironment(actor: Actor, asked: string | undefined): EnvironmentChoice {
  if (asked !== undefined) return { name: asked, id: null };
  if (actor.kind === 'apiKey' && actor.environmentId !== null) return { name: null, id: actor.environmentId };
  return { name: PRODUCTION, id: null };
}

/** What a call may read of the environment row: 404 when unknown, 403 for a key bound to another. */
function checkEnvironment<T extends ReleaseRow>(
  actor: Actor,
  chosen: EnvironmentChoice,
  row: T | undefined,
): T {
  if (!row) throw unknownEnvironment(chosen.name ?? 'bound to this key');
  if (actor.kind === 'apiKey' && actor.environmentId !== null && row.id !== actor.environmentId) {
    throw new AppError(
      'FORBIDDEN',
      `This API key is bound to another environment; it cannot read ${row.name}`,
    );
  }
  return row;
}

/** What a session gets, from the release row: which release, by which arm, and the tag of the answer. */
function releaseOf(
  row: ReleaseRow,
): { arm: ReleaseArm; templateVersion: number; agentVersions: Record<string, number> } | null {
  if (row.followsLatest || row.templateVersion === null || row.arm === null || row.agentVersions === null) {
    return null;
  }
  return { arm: row.arm, templateVersion: row.templateVersion, agentVersions: row.agentVersions };
}

/**
 * The tag of a session config: what it serves (the environment, and the template's
 * `config_version`, which triggers move on every change of the template or of any of its agents,
 * or the release and its arm), the overrides and the variable values sent.
 */
function etagOf(
  templateId: string,
  environment: string,
  served: number | { arm: ReleaseArm; templateVersion: number; agentVersions: Record<string, number> },
  overrides: SessionConfigOverrides,
  variables?: Record<string, unknown>,
): string {
  // Values sent render into the answer, so they are part of its tag (a GET sends none).
  const made = [templateId, environment, served, overrides, ...(variables ? [variables] : [])];
  return createHash('sha256').update(JSON.stringify(made)).digest('base64url').slice(0, 27);
}

/**
 * The current tag of a template's session config without overrides (what a revalidation,
 * `If-None-Match`, compares), from the environment and its release alone, without reading the
 * template or its agents; null when the call would not answer 200 (the procedure then answers).
 */
export async function currentConfigEtag(
  db: Db,
  actor: Actor,
  input: { id: string; environment?: string; sessionKey?: string },
): Promise<string | null> {
  const chosen = chooseEnvironment(actor, input.environment);
  const [row] = (await releaseTag(db).execute(parameters(actor, chosen, input))) as ReleaseRow[];
  if (!row || (actor.kind === 'apiKey' && actor.environmentId !== null && row.id !== actor.environmentId))
    return null;
  const release = releaseOf(row);
  if (release) return etagOf(input.id, row.name, release, {});
  return row.configVersion === null ? null : etagOf(input.id, row.name, row.configVersion, {});
}

/**
 * What the session runtime reads at session start (docs/api.md "Session config"): the template, the full
 * definition of each agent in order, the effective initial agent, the media the profile allows,
 * panels and durations, with overrides that may only narrow the template (400 naming every
 * offender under `overrides`), and an `etag` that changes whenever the template or any of its
 * agents changes.
 */
export async function sessionConfig(
  db: Db,
  actor: Actor,
  input: z.output<typeof SessionConfigInput>,
): Promise<SessionConfig> {
  const chosen = chooseEnvironment(actor, input.environment);
  const row = checkEnvironment(actor, chosen, await readServed(db, actor, chosen, input));
  const release = releaseOf(row);
  if (!row.followsLatest && !release) {
    throw new AppError('NOT_FOUND', `Session template ${input.id} is not deployed to ${row.name}`, {
      reason: 'notDeployed',
    });
  }
  if (row.served === null) throw notFound('Session template', input.id);
  const served = row.served;
  // The plain answer depends only on what is served, the environment and the arm: worked out once
  // per release this instance holds (`ServedCache` hands out the same `served` until its key moves
  // on), never changed once made.
  const arm = release?.arm ?? 'latest';
  let answers = plainAnswers.get(served);
  if (!answers) {
    answers = new Map();
    plainAnswers.set(served, answers);
  }
  let plain = answers.get(`${arm}:${row.name}`);
  if (!plain) {
    plain = Object.freeze(buildSessionConfig(served, row.name, release));
    answers.set(`${arm}:${row.name}`, plain);
  }
  if (input.overrides === undefined && input.variables === undefined) return plain;
  // Overrides and values: the contract's own personalisation, as `@switchboard/runtime` does it.
  const overrides = input.overrides ?? {};
  const personalised = personaliseSessionConfig(
    plain,
    input,
    etagOf(
      served.template.id,
      row.name,
      release ?? served.template.configVersion!,
      overrides,
      input.variables,
    ),
  );
  if ('refusal' in personalised) {
    throw new AppError('BAD_REQUEST', personalised.refusal.message, personalised.refusal.details);
  }
  return personalised.config;
}

/** The plain answers (no overrides, no values) made of a `served`, by arm and environment. */
const plainAnswers = new WeakMap<Served, Map<string, SessionConfig>>();

/** The plain session config of what is served: no overrides, optional variables at their defaults. */
function buildSessionConfig(
  served: Served,
  environment: string,
  release: ReturnType<typeof releaseOf>,
): SessionConfig {
  const template = served.template;
  // An agent revision written before variables existed has none.
  const agents = served.agents.map(withVariables).map((agent) => ({
    ...agent,
    variables: agent.variables.map(inOrder),
  }));
  const declared = sessionVariables(agents).map(inOrder);
  const rendered = renderSessionAgents(agents, declared, undefined);
  if ('refusal' in rendered) throw new Error('no values, no refusal');
  const agentVersions =
    release?.agentVersions ?? Object.fromEntries(agents.map((agent) => [agent.id, agent.version]));
  return {
    templateId: template.id,
    templateVersion: template.version,
    name: template.name,
    modalityProfile: template.modalityProfile,
    media: profileMedia(template.modalityProfile),
    enabledPanels: template.enabledPanels,
    maxDurationSeconds: template.maxDurationSeconds,
    idleTimeoutSeconds: template.idleTimeoutSeconds,
    initialAgentId: template.initialAgentId ?? template.agentIds[0]!,
    agents: rendered.agents,
    variables: declared,
    overridden: [],
    environment,
    release: { templateVersion: template.version, agentVersions, arm: release?.arm ?? 'latest' },
    etag: etagOf(template.id, environment, release ?? template.configVersion!, {}),
  };
}

/**
 * The environment, its release and the template and agents it serves: the short statement, and
 * what it names from `ServedCache`; the long one only when this instance does not hold it (then
 * cached under the key of the row that long statement read). `served` is null when there is
 * nothing to serve.
 */
async function readServed(
  db: Db,
  actor: Actor,
  chosen: EnvironmentChoice,
  input: { id: string; sessionKey?: string },
): Promise<(ReleaseRow & { served: Served | null }) | undefined> {
  const cache = servedCache(db);
  const { organizationId } = actor;
  const placeholders = parameters(actor, chosen, input);
  const [tagged] = (await releaseTag(db).execute(placeholders)) as ReleaseRow[];
  if (!tagged) return undefined;
  const key = releaseKey(tagged);
  if (key === null) return { ...tagged, served: null };
  const held = cache.get(organizationId, input.id, key);
  if (held) return { ...tagged, served: held };
  const [row] = (await servedSession(db).execute(placeholders)) as (ReleaseRow & { served: Served | null })[];
  const readKey = row && releaseKey(row);
  if (readKey && row.served !== null) cache.set(organizationId, input.id, readKey, row.served);
  return row;
}
