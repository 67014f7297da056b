import { createHash } from 'node:crypto';
import {
  type Agent,
  inOrder,
  type ModalityProfile,
  profileCovers,
  profileMedia,
  renderInstructions,
  resolveValues,
  type SessionAgent,
  type SessionConfig,
  type SessionConfigInput,
  type SessionConfigOverrides,
  sessionVariables,
  type Variable,
  type VariableValue,
} from '@switchboard/contract';
import { agents, type Db, type SessionTemplateRow, sessionTemplates } from '@switchboard/db';
import { getTableColumns, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { AppError, notFound } from '../errors';
import { activeRows, perDatabase } from './db';

/** A `json` value as the driver hands it over: parsed already (postgres.js, PGlite) or as text. */
const json = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;

/** An ISO 8601 UTC timestamp with milliseconds, as `Date.toISOString()` writes it, in SQL. */
const iso = (column: string) =>
  sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

/**
 * An agent (`a`) as the API's `Agent` object in SQL: every column of the table under its field
 * name (the table and `Agent` have the same fields), timestamps as ISO strings. A new column is a
 * new field here with no edit.
 */
const agentJson = sql.join(
  Object.entries(getTableColumns(agents)).map(
    ([field, column]) =>
      sql`${sql.raw(`'${field}'`)}, ${column.columnType === 'PgTimestamp' ? iso(`a.${column.name}`) : sql.raw(`a.${column.name}`)}`,
  ),
  sql`, `,
);

/**
 * The template with the full definition of each of its agents, in its order: one prepared
 * statement, one round trip. The agents are built as the API's `Agent` objects in SQL.
 */
const templateWithAgents = perDatabase((db) =>
  db
    .select({
      template: sessionTemplates,
      agents: sql<Agent[]>`coalesce((
        select json_agg(json_build_object(${agentJson}
        ) order by array_position(${sessionTemplates.agentIds}, a.id))
        from agents a
        where a.organization_id = ${sessionTemplates.organizationId} and a.id = any(${sessionTemplates.agentIds})
          and a.is_active
      ), '[]'::json)`.mapWith(json<Agent[]>),
    })
    .from(sessionTemplates)
    .where(activeRows(sessionTemplates, sql.placeholder('organizationId'), sql.placeholder('id')))
    .limit(1)
    .prepare('session_config'),
);

type Issue = { path: string[]; message: string };

/** Does `narrower` publish only media `wider` publishes? */
function mediaWithin(narrower: ModalityProfile, wider: ModalityProfile): boolean {
  const inner = profileMedia(narrower);
  const outer = profileMedia(wider);
  return (!inner.camera || outer.camera) && (!inner.screenshare || outer.screenshare);
}

/** One issue per offender of the rule that overrides only narrow the template. */
function overrideIssues(
  template: SessionTemplateRow,
  agents: Agent[],
  overrides: SessionConfigOverrides,
): Issue[] {
  const issues: Issue[] = [];
  const at = (...path: string[]) => ['overrides', ...path];
  if (overrides.initialAgentId !== undefined && !template.agentIds.includes(overrides.initialAgentId)) {
    issues.push({ path: at('initialAgentId'), message: "Must be one of the template's agents" });
  }
  const profile = overrides.modalityProfile;
  if (profile !== undefined) {
    if (!mediaWithin(profile, template.modalityProfile)) {
      issues.push({
        path: at('modalityProfile'),
        message: `Publishes media the template's profile (${template.modalityProfile}) does not allow`,
      });
    }
    for (const agent of agents.filter((agent) => !profileCovers(profile, agent.modality))) {
      issues.push({
        path: at('modalityProfile'),
        message: `Does not cover agent ${agent.id} (${agent.modality})`,
      });
    }
  }
  overrides.enabledPanels?.forEach((panel, index) => {
    if (!template.enabledPanels.includes(panel)) {
      issues.push({
        path: at('enabledPanels', String(index)),
        message: `The template does not enable ${panel}`,
      });
    }
  });
  const max = overrides.maxDurationSeconds;
  if (max !== undefined && template.maxDurationSeconds !== null && max > template.maxDurationSeconds) {
    issues.push({
      path: at('maxDurationSeconds'),
      message: `Must be at most the template's ${template.maxDurationSeconds}`,
    });
  }
  const idle = overrides.idleTimeoutSeconds;
  if (idle !== undefined && idle > template.idleTimeoutSeconds) {
    issues.push({
      path: at('idleTimeoutSeconds'),
      message: `Must be at most the template's ${template.idleTimeoutSeconds}`,
    });
  }
  return issues;
}

/**
 * The tag of a session config: the template's `config_version` (which triggers move on every change
 * of the template or of any of its agents) and the overrides.
 */
function etagOf(
  template: { id: string; configVersion: number },
  overrides: SessionConfigOverrides,
  variables?: Record<string, unknown>,
): string {
  // Values sent render into the answer, so they are part of its tag (a GET sends none).
  const made = [template.id, template.configVersion, overrides, ...(variables ? [variables] : [])];
  return createHash('sha256').update(JSON.stringify(made)).digest('base64url').slice(0, 27);
}

/** Only what the tag is made of: what a revalidation (`If-None-Match`) needs, one integer. */
const configVersion = perDatabase((db) =>
  db
    .select({ id: sessionTemplates.id, configVersion: sessionTemplates.configVersion })
    .from(sessionTemplates)
    .where(activeRows(sessionTemplates, sql.placeholder('organizationId'), sql.placeholder('id')))
    .limit(1)
    .prepare('session_config_version'),
);

/**
 * The current tag of a template's session config without overrides, from its `config_version`
 * alone (a revalidation that matches answers 304 without reading the agents); null when there is no
 * such active template.
 */
export async function currentConfigEtag(db: Db, organizationId: string, id: string): Promise<string | null> {
  const [row] = await configVersion(db).execute({ organizationId, id });
  return row ? etagOf(row, {}) : null;
}

const OVERRIDABLE = [
  'initialAgentId',
  'modalityProfile',
  'enabledPanels',
  'maxDurationSeconds',
  'idleTimeoutSeconds',
] as const;
// Every override field is listed (a new one that is not fails to compile).
const everyOverrideListed: Exclude<keyof SessionConfigOverrides, (typeof OVERRIDABLE)[number]> extends never
  ? true
  : never = true;
void everyOverrideListed;

/**
 * What the session runtime reads at session start (API.md "Session config"): the template, the full
 * definition of each agent in order, the effective initial agent, the media the profile allows,
 * panels and durations, with overrides that may only narrow the template (400 naming every
 * offender under `overrides`), and an `etag` that changes whenever the template or any of its
 * agents changes.
 */
export async function sessionConfig(
  db: Db,
  organizationId: string,
  input: z.output<typeof SessionConfigInput>,
): Promise<SessionConfig> {
  const [row] = await templateWithAgents(db).execute({ organizationId, id: input.id });
  if (!row) throw notFound('Session template', input.id);
  const { template, agents } = row;
  const overrides = input.overrides ?? {};
  const issues = overrideIssues(template, agents, overrides);
  if (issues.length) {
    throw new AppError(
      'BAD_REQUEST',
      `Overrides may only narrow the template: ${issues.map((issue) => issue.message).join('; ')}`,
      {
        issues,
      },
    );
  }
  const declared = sessionVariables(agents).map(inOrder);
  const rendered = renderAgents(agents, declared, input.variables);
  const modalityProfile = overrides.modalityProfile ?? template.modalityProfile;
  return {
    templateId: template.id,
    templateVersion: template.version,
    name: template.name,
    modalityProfile,
    media: profileMedia(modalityProfile),
    enabledPanels: overrides.enabledPanels ?? template.enabledPanels,
    maxDurationSeconds: overrides.maxDurationSeconds ?? template.maxDurationSeconds,
    idleTimeoutSeconds: overrides.idleTimeoutSeconds ?? template.idleTimeoutSeconds,
    initialAgentId: overrides.initialAgentId ?? template.initialAgentId ?? template.agentIds[0]!,
    agents: rendered,
    variables: declared,
    overridden: OVERRIDABLE.filter((field) => overrides[field] !== undefined),
    etag: etagOf(template, overrides, input.variables),
  };
}

/**
 * Each agent with its instructions rendered. With values sent, they must all be right (one 400
 * naming every missing, mistyped or unknown one); without, an optional variable takes its default
 * and an agent declaring a required one gets `renderedInstructions: null`. The values are never
 * logged: they are only read here.
 */
function renderAgents(
  agents: Agent[],
  declared: Variable[],
  given: Record<string, unknown> | undefined,
): SessionAgent[] {
  let values: Record<string, VariableValue | null>;
  if (given === undefined) {
    values = Object.fromEntries(declared.filter((v) => !v.required).map((v) => [v.name, v.default]));
  } else {
    const resolved = resolveValues(declared, given);
    if ('issues' in resolved) {
      throw new AppError(
        'BAD_REQUEST',
        `Variables: ${resolved.issues.map((issue) => `${issue.path.slice(1).join('.')}: ${issue.message}`).join('; ')}`,
        { missingVariables: resolved.missingVariables, issues: resolved.issues },
      );
    }
    values = resolved.values;
  }
  return agents.map((agent) => ({
    ...agent,
    variables: agent.variables.map(inOrder),
    renderedInstructions: agent.variables.some((variable) => !Object.hasOwn(values, variable.name))
      ? null
      : renderInstructions(agent.instructions, values),
  }));
}
