// Longer than 450 lines: a bundle's export, its import plan and the plan's application read and write the same shapes; the plan and its application are one contract, kept together.
import { randomUUID } from 'node:crypto';
import {
  AGENT_SETTABLE_FIELDS,
  type Agent,
  type AgentFacts,
  type AgentSpec,
  BUNDLE_FORMAT,
  type Bundle,
  type Catalog,
  catalogProblems,
  ExportedAgentSpec,
  type ImportInput,
  type ImportPlan,
  type SessionTemplate,
  TEMPLATE_SETTABLE_FIELDS,
  type TemplateSpec,
  templateProblems,
  undeclaredVariables,
} from '@switchboard/contract';
import {
  type AgentRow,
  agents,
  type Db,
  organizations,
  type SessionTemplateRow,
  sessionTemplates,
} from '@switchboard/db';
import { asc, eq, getTableColumns, inArray, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { z } from 'zod';
import { activeRows, writeTransaction } from '../../core/db';
import { AppError } from '../../core/errors';
import { toAgent } from '../agents/agents';
import { refuseDeletingDeployed } from '../deployments/reads';
import { type Attribution, type Change, recordEvent, recordRevisions } from '../history/history';
import { toSessionTemplate } from '../sessionTemplates/sessionTemplates';

/** Code-point order (UTF-8 byte order), the same on every machine and in every locale. */
function byName(a: { name: string }, b: { name: string }): number {
  return Buffer.compare(Buffer.from(a.name), Buffer.from(b.name));
}

/** Sorted by name, ties (two entities of one name) by their whole spec, so the order never depends on storage. */
function sorted<T extends { name: string }>(specs: T[]): T[] {
  return specs.sort(
    (a, b) => byName(a, b) || Buffer.compare(Buffer.from(JSON.stringify(a)), Buffer.from(JSON.stringify(b))),
  );
}

/** The fields of an agent in a bundle, in the order an export writes them (the contract's `AgentSpec`). */
const AGENT_SPEC_FIELDS = Object.keys(ExportedAgentSpec.shape) as (keyof AgentSpec)[];

/** An agent as a bundle holds it: its settable fields, handoff targets by name. */
function agentSpec(agent: Agent, nameOf: (id: string) => string): AgentSpec {
  return Object.fromEntries(
    AGENT_SPEC_FIELDS.map((field) => [
      field,
      field === 'handoffTargets' ? agent.handoffTargets.map(nameOf) : agent[field],
    ]),
  ) as AgentSpec;
}

function templateSpec(template: SessionTemplate, nameOf: (id: string) => string): TemplateSpec {
  return {
    name: template.name,
    description: template.description,
    agents: template.agentIds.map(nameOf),
    initialAgent: template.initialAgentId === null ? null : nameOf(template.initialAgentId),
    modalityProfile: template.modalityProfile,
    enabledPanels: template.enabledPanels,
    maxDurationSeconds: template.maxDurationSeconds,
    idleTimeoutSeconds: template.idleTimeoutSeconds,
  };
}

/** What an import and an export read: the organization's active agents and templates, in id order. */
interface OrganizationState {
  agents: AgentRow[];
  templates: SessionTemplateRow[];
}

/**
 * Reads the state; with `lock`, locks every row `FOR UPDATE`, agents then templates, each in id
 * order (the order every write takes them in), so nothing changes under a plan until it is applied.
 */
async function readState(tx: Db, organizationId: string, lock = false): Promise<OrganizationState> {
  const agentQuery = tx
    .select()
    .from(agents)
    .where(activeRows(agents, organizationId))
    .orderBy(asc(agents.id));
  const agentRows = await (lock ? agentQuery.for('update') : agentQuery);
  const templateQuery = tx
    .select()
    .from(sessionTemplates)
    .where(activeRows(sessionTemplates, organizationId))
    .orderBy(asc(sessionTemplates.id));
  const templateRows = await (lock ? templateQuery.for('update') : templateQuery);
  return { agents: agentRows, templates: templateRows };
}

/**
 * Work on one consistent snapshot of the database that takes no lock and writes nothing
 * (REPEATABLE READ, READ ONLY): an export or a dry run never makes a write wait, and never sees
 * half of a concurrent change.
 */
function inSnapshot<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction(work, { isolationLevel: 'repeatable read', accessMode: 'read only' });
}

/** The organization's active agents and templates as a bundle: names for ids, sorted, deterministic. */
export function exportBundle(db: Db, organizationId: string): Promise<Bundle> {
  return inSnapshot(db, async (tx) => {
    const state = await readState(tx, organizationId);
    const names = new Map(state.agents.map((row) => [row.id, row.name]));
    const nameOf = (id: string) => names.get(id) ?? id;
    return {
      format: BUNDLE_FORMAT,
      agents: sorted(state.agents.map((row) => agentSpec(toAgent(row), nameOf))),
      sessionTemplates: sorted(state.templates.map((row) => templateSpec(toSessionTemplate(row), nameOf))),
    };
  });
}

type Issue = { path: (string | number)[]; message: string };
type PlanChange = ImportPlan['changes'][number];
type ImportBundle = z.output<typeof ImportInput>['bundle'];

/** JSON with every object's keys sorted: equal values, equal text, whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : 1)))
      : item,
  );
}

/** The fields of two specs that differ, in the spec's order. */
function differingFields<T extends object>(before: T, after: T): string[] {
  return Object.keys(after).filter(
    (field) =>
      canonical((before as Record<string, unknown>)[field]) !==
      canonical((after as Record<string, unknown>)[field]),
  );
}

/** The names that appear more than once. */
function duplicates(names: string[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const name of names) (seen.has(name) ? repeated : seen).add(name);
  return [...repeated];
}

/**
 * Names the bundle holds twice within a kind: an issue for each repeat, and the bundle with only
 * the first entry of each name, which is planned too, so one answer names every problem.
 */
interface UniqueBundle {
  issues: Issue[];
  bundle: ImportBundle;
  /** For each kind, the position in the bundle sent of each entry kept. */
  positions: Record<'agents' | 'sessionTemplates', number[]>;
}

function uniqueNames(bundle: ImportBundle): UniqueBundle {
  const issues: Issue[] = [];
  const positions: UniqueBundle['positions'] = { agents: [], sessionTemplates: [] };
  const firstOf = <T extends { name: string }>(kind: 'agents' | 'sessionTemplates', specs: T[]) => {
    const seen = new Set<string>();
    return specs.filter((spec, index) => {
      if (!seen.has(spec.name)) {
        seen.add(spec.name);
        positions[kind].push(index);
        return true;
      }
      issues.push({
        path: ['bundle', kind, index, 'name'],
        message: `The bundle names "${spec.name}" more than once`,
      });
      return false;
    });
  };
  const agents = firstOf('agents', bundle.agents);
  const sessionTemplates = firstOf('sessionTemplates', bundle.sessionTemplates);
  return { issues, bundle: { ...bundle, agents, sessionTemplates }, positions };
}

/** The plan, or one refusal naming every problem: the duplicate names' and the plan's. */
function planAll(
  state: OrganizationState,
  unique: UniqueBundle,
  prune: boolean,
  catalog: Catalog,
): ImportPlanned {
  try {
    const planned = planImport(state, unique.bundle, prune, catalog);
    if (unique.issues.length) throw refused(unique.issues);
    return planned;
  } catch (error) {
    const issues = error instanceof AppError ? (error.details.issues as Issue[] | undefined) : undefined;
    if (!unique.issues.length || !issues) throw error;
    // The plan's paths point into the bundle without the repeats: back to the bundle sent.
    const sent = issues.map((issue) => {
      const [root, kind] = issue.path;
      if (root !== 'bundle' || (kind !== 'agents' && kind !== 'sessionTemplates')) return issue;
      const path = [...issue.path];
      path[2] = unique.positions[kind][Number(path[2])] ?? path[2]!;
      return { ...issue, path };
    });
    throw refused([...unique.issues, ...sent].sort((a, b) => comparePaths(a.path, b.path)));
  }
}

/** Issues in the bundle's order: by kind, then entry, then field. */
function comparePaths(a: (string | number)[], b: (string | number)[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [x, y] = [a[i]!, b[i]!];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return a.length - b.length;
}

/** A template of the bundle with names resolved to ids (an unknown name stays a name, and is an issue). */
type TemplateFields = Omit<
  SessionTemplateRow,
  'id' | 'organizationId' | 'isActive' | 'version' | 'configVersion' | 'createdAt' | 'updatedAt'
>;

/** What an import will do: the plan it answers, and the rows it writes to carry it out. */
interface ImportPlanned {
  changes: PlanChange[];
  /** Agents to create (with the ids the plan gave them) and to update, by the bundle's spec. */
  createAgents: { id: string; spec: AgentSpec }[];
  updateAgents: { before: AgentRow; spec: AgentSpec }[];
  createTemplates: TemplateFields[];
  updateTemplates: { before: SessionTemplateRow; fields: TemplateFields }[];
  deleteAgents: AgentRow[];
  deleteTemplates: SessionTemplateRow[];
  /** Every agent name of the organization as it will be, to its id. */
  agentIds: Map<string, string>;
}

/**
 * Plans an import on the state it reads (pure): matches by name within each kind, decides create,
 * update, unchanged or (with `prune`) delete, and checks every rule on the organization as it would
 * be afterwards. Refuses (400 naming every offender, 409 for a name the organization holds twice)
 * before anything is written.
 */
export function planImport(
  state: OrganizationState,
  bundle: ImportBundle,
  prune: boolean,
  catalog: Catalog,
): ImportPlanned {
  const { agents: agentRows, templates: templateRows } = state;
  const issues: Issue[] = [];
  // A name the bundle uses that two active entities of its kind share cannot be matched.
  const agentNamesUsed = new Set([
    ...bundle.agents.flatMap((spec) => [spec.name, ...spec.handoffTargets]),
    ...bundle.sessionTemplates.flatMap((spec) => [
      ...spec.agents,
      ...(spec.initialAgent ? [spec.initialAgent] : []),
    ]),
  ]);
  const templateNamesUsed = new Set(bundle.sessionTemplates.map((spec) => spec.name));
  const agentTwins = duplicates(agentRows.map((row) => row.name)).filter((name) => agentNamesUsed.has(name));
  const templateTwins = duplicates(templateRows.map((row) => row.name)).filter((name) =>
    templateNamesUsed.has(name),
  );
  if (agentTwins.length || templateTwins.length) {
    throw new AppError(
      'CONFLICT',
      `Import matches by name, and the organization has two active entities of one kind named: ${[...agentTwins, ...templateTwins].join(', ')}; rename or delete one of each first`,
      { agentNames: agentTwins, sessionTemplateNames: templateTwins },
    );
  }

  const existingAgents = new Map(agentRows.map((row) => [row.name, row]));
  const existingTemplates = new Map(templateRows.map((row) => [row.name, row]));
  const currentNames = new Map(agentRows.map((row) => [row.id, row.name]));
  const notFoundIn = prune ? 'in the bundle' : 'in the bundle or the organization';

  // The agents as they will be: the bundle's (existing ids kept, new ones given one now), and
  // without `prune` every other active agent as it is. By id: two kept agents may share a name
  // the bundle never uses.
  const agentIds = new Map<string, string>();
  const facts = new Map<string, AgentFacts>();
  for (const spec of bundle.agents) {
    const id = existingAgents.get(spec.name)?.id ?? randomUUID();
    agentIds.set(spec.name, id);
    facts.set(id, { id, modality: spec.modality, panels: spec.panels, variables: spec.variables });
  }
  const keptAgents = prune ? [] : agentRows.filter((row) => !agentIds.has(row.name));
  for (const row of keptAgents) {
    agentIds.set(row.name, row.id);
    facts.set(row.id, row);
  }

  const planned: ImportPlanned = {
    changes: [],
    createAgents: [],
    updateAgents: [],
    createTemplates: [],
    updateTemplates: [],
    deleteAgents: [],
    deleteTemplates: [],
    agentIds,
  };
  bundle.agents.forEach((spec, index) => {
    spec.handoffTargets.forEach((target, position) => {
      if (target === spec.name || !agentIds.has(target)) {
        issues.push({
          path: ['bundle', 'agents', index, 'handoffTargets', position],
          message:
            target === spec.name
              ? 'An agent cannot hand off to itself'
              : `No agent named "${target}" ${notFoundIn}`,
        });
      }
    });
    const undeclared = undeclaredVariables(spec.instructions, spec.variables);
    if (undeclared.length) {
      issues.push({
        path: ['bundle', 'agents', index, 'instructions'],
        message: `Refers to variables the agent does not declare: ${undeclared.join(', ')}`,
      });
    }
    const existing = existingAgents.get(spec.name);
    // A model or voice new to the agent must be in the catalog (one it holds stays allowed).
    for (const problem of catalogProblems(catalog, spec, existing)) {
      issues.push({ path: ['bundle', 'agents', index, ...problem.path], message: problem.message });
    }
    if (!existing) {
      planned.changes.push({ kind: 'agent', name: spec.name, action: 'create', fields: [] });
      planned.createAgents.push({ id: agentIds.get(spec.name)!, spec });
      return;
    }
    const fields = differingFields(
      agentSpec(toAgent(existing), (id) => currentNames.get(id) ?? id),
      spec,
    );
    planned.changes.push({
      kind: 'agent',
      name: spec.name,
      action: fields.length ? 'update' : 'unchanged',
      fields,
    });
    if (fields.length) planned.updateAgents.push({ before: existing, spec });
  });

  bundle.sessionTemplates.forEach((spec, index) => {
    spec.agents.forEach((name, position) => {
      if (!agentIds.has(name)) {
        issues.push({
          path: ['bundle', 'sessionTemplates', index, 'agents', position],
          message: `No agent named "${name}" ${notFoundIn}`,
        });
      }
    });
    const initialKnown = spec.initialAgent === null || agentIds.has(spec.initialAgent);
    if (!initialKnown) {
      issues.push({
        path: ['bundle', 'sessionTemplates', index, 'initialAgent'],
        message: `No agent named "${spec.initialAgent}" ${notFoundIn}`,
      });
    }
    const fields: TemplateFields = {
      name: spec.name,
      description: spec.description,
      agentIds: spec.agents.map((name) => agentIds.get(name) ?? name),
      initialAgentId:
        spec.initialAgent === null ? null : (agentIds.get(spec.initialAgent) ?? spec.initialAgent),
      modalityProfile: spec.modalityProfile,
      enabledPanels: spec.enabledPanels,
      maxDurationSeconds: spec.maxDurationSeconds,
      idleTimeoutSeconds: spec.idleTimeoutSeconds,
    };
    if (spec.agents.every((name) => agentIds.has(name)) && initialKnown) {
      const problems = templateProblems(fields, facts);
      if (problems) issues.push({ path: ['bundle', 'sessionTemplates', index], message: problems.message });
    }
    const existing = existingTemplates.get(spec.name);
    if (!existing) {
      planned.changes.push({ kind: 'sessionTemplate', name: spec.name, action: 'create', fields: [] });
      planned.createTemplates.push(fields);
      return;
    }
    const changed = differingFields(
      templateSpec(toSessionTemplate(existing), (id) => currentNames.get(id) ?? id),
      spec,
    );
    planned.changes.push({
      kind: 'sessionTemplate',
      name: spec.name,
      action: changed.length ? 'update' : 'unchanged',
      fields: changed,
    });
    if (changed.length) planned.updateTemplates.push({ before: existing, fields });
  });

  // Without `prune`, the templates the bundle does not name stay, and must still hold with the
  // agents as they will be; with it, they and the agents the bundle lacks are deleted.
  const bundledTemplates = new Set(bundle.sessionTemplates.map((spec) => spec.name));
  const bundledAgents = new Set(bundle.agents.map((spec) => spec.name));
  for (const row of templateRows.filter((template) => !bundledTemplates.has(template.name))) {
    if (prune) {
      planned.deleteTemplates.push(row);
      planned.changes.push({ kind: 'sessionTemplate', name: row.name, action: 'delete', fields: [] });
      continue;
    }
    const problems = templateProblems(row, facts);
    if (problems) {
      issues.push({
        path: ['organization', 'sessionTemplates', row.name],
        message: `Kept as it is, it would break: ${problems.message}`,
      });
    }
  }
  if (prune) {
    for (const row of agentRows.filter((agent) => !bundledAgents.has(agent.name))) {
      planned.deleteAgents.push(row);
      planned.changes.push({ kind: 'agent', name: row.name, action: 'delete', fields: [] });
    }
  }
  if (issues.length) throw refused(issues);
  planned.changes = [
    ...sorted(planned.changes.filter((change) => change.kind === 'agent')),
    ...sorted(planned.changes.filter((change) => change.kind === 'sessionTemplate')),
  ];
  return planned;
}

const CHUNK = 500;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += CHUNK) out.push(items.slice(start, start + CHUNK));
  return out;
}

/**
 * `SET column = v.column, …` for the given columns of `table`, read from the recordset `v` that
 * `fromRecords` builds: one UPDATE writes many rows, each with its own values.
 */
function setFromRecords<T extends PgTable>(table: T, fields: (keyof T['$inferSelect'] & string)[]) {
  const columns = getTableColumns(table) as Record<string, { name: string }>;
  return Object.fromEntries(fields.map((field) => [field, sql`v.${sql.identifier(columns[field]!.name)}`]));
}

/** Rows as a recordset of `table`'s row type, named `v` (column names as the database spells them). */
function fromRecords<T extends PgTable>(table: T, rows: Record<string, unknown>[]) {
  const columns = getTableColumns(table) as Record<string, { name: string }>;
  const records = rows.map((row) =>
    Object.fromEntries(Object.entries(row).map(([field, value]) => [columns[field]!.name, value])),
  );
  return sql`jsonb_populate_recordset(null::${table}, ${JSON.stringify(records)}::jsonb) as v`;
}

/**
 * Writes a plan on the rows `readState` locked, set-wise: each kind's creates, updates and deletes
 * are a statement per 500 rows (so the session-config triggers run once per statement, not once
 * per row), then a revision per change (action `imported`) and one `config.imported` event.
 */
async function applyPlan(tx: Db, by: Attribution, planned: ImportPlanned): Promise<void> {
  const { organizationId } = by;
  const revisions: Change[] = [];
  // A bundle's agent as a row's settable columns: handoff targets by id.
  const agentValues = (spec: AgentSpec) =>
    ({
      ...Object.fromEntries(AGENT_SETTABLE_FIELDS.map((field) => [field, spec[field]])),
      handoffTargets: spec.handoffTargets.map((name) => planned.agentIds.get(name)!),
    }) as Pick<AgentRow, (typeof AGENT_SETTABLE_FIELDS)[number]>;
  const bump = { version: sql`${agents.version} + 1`, updatedAt: sql`now()` };
  // A revision for each row written, with the row as it was before (none for a create).
  const agentsWritten = (rows: AgentRow[], before?: Map<string, AgentRow>) => {
    for (const row of rows) {
      const was = before?.get(row.id);
      revisions.push({
        kind: 'agent',
        action: 'imported',
        before: was ? toAgent(was) : null,
        after: toAgent(row),
      });
    }
  };
  const templatesWritten = (rows: SessionTemplateRow[], before?: Map<string, SessionTemplateRow>) => {
    for (const row of rows) {
      const was = before?.get(row.id);
      revisions.push({
        kind: 'sessionTemplate',
        action: 'imported',
        before: was ? toSessionTemplate(was) : null,
        after: toSessionTemplate(row),
      });
    }
  };

  for (const batch of chunks(planned.createAgents)) {
    const rows = await tx
      .insert(agents)
      .values(batch.map(({ id, spec }) => ({ id, organizationId, ...agentValues(spec) })))
      .returning();
    agentsWritten(rows);
  }
  for (const batch of chunks(planned.updateAgents)) {
    const before = new Map(batch.map((item) => [item.before.id, item.before]));
    const rows = await tx
      .update(agents)
      .set({ ...setFromRecords(agents, [...AGENT_SETTABLE_FIELDS]), ...bump })
      .from(
        fromRecords(
          agents,
          batch.map((item) => ({ id: item.before.id, ...agentValues(item.spec) })),
        ),
      )
      .where(eq(agents.id, sql`v.id`))
      .returning(getTableColumns(agents));
    agentsWritten(rows, before);
  }
  // Templates deleted by `prune` go before the agents they list.
  for (const batch of chunks(planned.deleteTemplates)) {
    const before = new Map(batch.map((row) => [row.id, row]));
    const rows = await tx
      .update(sessionTemplates)
      .set({ isActive: false, version: sql`${sessionTemplates.version} + 1`, updatedAt: sql`now()` })
      .where(inArray(sessionTemplates.id, [...before.keys()]))
      .returning();
    templatesWritten(rows, before);
  }
  for (const batch of chunks(planned.deleteAgents)) {
    const before = new Map(batch.map((row) => [row.id, row]));
    const rows = await tx
      .update(agents)
      .set({ isActive: false, ...bump })
      .where(inArray(agents.id, [...before.keys()]))
      .returning();
    agentsWritten(rows, before);
  }
  for (const batch of chunks(planned.createTemplates)) {
    const rows = await tx
      .insert(sessionTemplates)
      .values(batch.map((fields) => ({ ...fields, organizationId })))
      .returning();
    templatesWritten(rows);
  }
  for (const batch of chunks(planned.updateTemplates)) {
    const before = new Map(batch.map((item) => [item.before.id, item.before]));
    const rows = await tx
      .update(sessionTemplates)
      .set({
        ...setFromRecords(sessionTemplates, [...TEMPLATE_SETTABLE_FIELDS]),
        version: sql`${sessionTemplates.version} + 1`,
        updatedAt: sql`now()`,
      })
      .from(
        fromRecords(
          sessionTemplates,
          batch.map((item) => ({ id: item.before.id, ...item.fields })),
        ),
      )
      .where(eq(sessionTemplates.id, sql`v.id`))
      .returning(getTableColumns(sessionTemplates));
    templatesWritten(rows, before);
  }

  for (let start = 0; start < revisions.length; start += 1000) {
    await recordRevisions(tx, by, revisions.slice(start, start + 1000));
  }
  const [organization] = await tx
    .select({ name: organizations.name })
    .from(organizations)
    .where(eq(organizations.id, organizationId));
  await recordEvent(tx, by, 'config.imported', {
    type: 'config',
    id: organizationId,
    name: organization!.name,
  });
}

/**
 * Imports a bundle (docs/api.md "Configuration bundles"): plan, check, write. A dry run plans on one
 * consistent snapshot without a lock and writes nothing; an applied import locks the rows it reads
 * (in the order every write takes them), plans on them, and writes the plan in the same
 * transaction: all of it or nothing.
 */
export async function importBundle(
  db: Db,
  by: Attribution,
  input: z.output<typeof ImportInput>,
  catalog: Catalog,
): Promise<ImportPlan> {
  const { dryRun, prune } = input;
  const unique = uniqueNames(input.bundle);
  if (dryRun) {
    const planned = await inSnapshot(db, async (tx) => {
      const plan = planAll(await readState(tx, by.organizationId), unique, prune, catalog);
      await refuseDeletingDeployed(
        tx,
        by.organizationId,
        plan.deleteTemplates.map((row) => row.id),
      );
      return plan;
    });
    return { dryRun, applied: false, changes: planned.changes };
  }
  return writeTransaction(db, async (tx) => {
    const planned = planAll(await readState(tx, by.organizationId, true), unique, prune, catalog);
    // Its templates are locked, so no deploy starts between this check and the write.
    await refuseDeletingDeployed(
      tx,
      by.organizationId,
      planned.deleteTemplates.map((row) => row.id),
    );
    const writes = planned.changes.some((change) => change.action !== 'unchanged');
    if (writes) await applyPlan(tx, by, planned);
    return { dryRun, applied: writes, changes: planned.changes };
  });
}

function refused(issues: Issue[]): AppError {
  const shown = issues.slice(0, 5).map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  return new AppError(
    'BAD_REQUEST',
    `The bundle cannot be imported (${issues.length} problem${issues.length === 1 ? '' : 's'}): ${shown.join('; ')}${issues.length > 5 ? '; …' : ''}`,
    { issues: issues.map((issue) => ({ path: issue.path.map(String), message: issue.message })) },
  );
}
