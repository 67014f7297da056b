import { randomUUID } from 'node:crypto';
import {
  type Agent,
  type AgentFacts,
  type AgentSpec,
  BUNDLE_FORMAT,
  type Bundle,
  type ImportInput,
  type ImportPlan,
  type SessionTemplate,
  type TemplateSpec,
  templateProblems,
} from '@switchboard/contract';
import { type AgentRow, agents, type Db, organizations, sessionTemplates } from '@switchboard/db';
import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { AppError } from '../errors';
import { toAgent } from './agents';
import { activeRows, writeTransaction } from './db';
import { type Attribution, type Change, recordEvent, recordRevisions } from './history';
import { toSessionTemplate } from './sessionTemplates';

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

function agentSpec(agent: Agent, nameOf: (id: string) => string): AgentSpec {
  return {
    name: agent.name,
    instructions: agent.instructions,
    model: agent.model,
    voice: agent.voice,
    tools: agent.tools,
    modality: agent.modality,
    panels: agent.panels,
    handoffTargets: agent.handoffTargets.map(nameOf),
  };
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

/** The organization's active agents and templates as a bundle: names for ids, sorted, deterministic. */
export async function exportBundle(db: Db, organizationId: string): Promise<Bundle> {
  const [agentRows, templateRows] = await Promise.all([
    db.select().from(agents).where(activeRows(agents, organizationId)),
    db.select().from(sessionTemplates).where(activeRows(sessionTemplates, organizationId)),
  ]);
  const names = new Map(agentRows.map((row) => [row.id, row.name]));
  const nameOf = (id: string) => names.get(id) ?? id;
  return {
    format: BUNDLE_FORMAT,
    agents: sorted(agentRows.map((row) => agentSpec(toAgent(row), nameOf))),
    sessionTemplates: sorted(templateRows.map((row) => templateSpec(toSessionTemplate(row), nameOf))),
  };
}

type Issue = { path: (string | number)[]; message: string };
type PlanChange = ImportPlan['changes'][number];

/** The fields of two specs that differ, in the spec's order. */
function differingFields<T extends object>(before: T, after: T): string[] {
  return Object.keys(after).filter(
    (field) =>
      JSON.stringify((before as Record<string, unknown>)[field]) !==
      JSON.stringify((after as Record<string, unknown>)[field]),
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
 * Imports a bundle (API.md "Configuration bundles"): match by name within each kind; create,
 * update, leave unchanged, or (with `prune`) delete; every rule checked on the organization as it
 * would be afterwards, before anything is written; one transaction, a revision per change (action
 * `imported`) and one `config.imported` audit event. A dry run answers the same plan and writes
 * nothing. A refused import (400 naming every offender in `details.issues`, 409 for names the
 * organization holds twice) changes nothing.
 */
export async function importBundle(
  db: Db,
  by: Attribution,
  input: z.output<typeof ImportInput>,
): Promise<ImportPlan> {
  const { bundle, dryRun, prune } = input;
  const issues: Issue[] = [];
  for (const [kind, specs] of [
    ['agents', bundle.agents],
    ['sessionTemplates', bundle.sessionTemplates],
  ] as const) {
    const repeated = new Set(duplicates(specs.map((spec) => spec.name)));
    specs.forEach((spec, index) => {
      if (repeated.has(spec.name)) {
        issues.push({
          path: ['bundle', kind, index, 'name'],
          message: `The bundle names "${spec.name}" more than once`,
        });
      }
    });
  }
  if (issues.length) throw refused(issues);

  return writeTransaction(db, async (tx) => {
    const { organizationId } = by;
    // Every active agent, then every active template, locked in id order (the order every write
    // takes them in): nothing changes under the plan until it is applied.
    const agentRows = await tx
      .select()
      .from(agents)
      .where(activeRows(agents, organizationId))
      .orderBy(asc(agents.id))
      .for('update');
    const templateRows = await tx
      .select()
      .from(sessionTemplates)
      .where(activeRows(sessionTemplates, organizationId))
      .orderBy(asc(sessionTemplates.id))
      .for('update');

    // A name the bundle uses that two active entities of its kind share cannot be matched.
    const agentNamesUsed = new Set([
      ...bundle.agents.flatMap((spec) => [spec.name, ...spec.handoffTargets]),
      ...bundle.sessionTemplates.flatMap((spec) => [
        ...spec.agents,
        ...(spec.initialAgent ? [spec.initialAgent] : []),
      ]),
    ]);
    const templateNamesUsed = new Set(bundle.sessionTemplates.map((spec) => spec.name));
    const agentTwins = duplicates(agentRows.map((row) => row.name)).filter((name) =>
      agentNamesUsed.has(name),
    );
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

    // The agents as they will be: the bundle's (existing ids kept, new ones given one now), and
    // without `prune` every other active agent as it is.
    const finalAgents = new Map<
      string,
      { id: string; modality: AgentRow['modality']; panels: AgentRow['panels'] }
    >();
    const agentIds = new Map<string, string>();
    for (const spec of bundle.agents) {
      const id = existingAgents.get(spec.name)?.id ?? randomUUID();
      agentIds.set(spec.name, id);
      finalAgents.set(spec.name, { id, modality: spec.modality, panels: spec.panels });
    }
    const keptAgents = prune ? [] : agentRows.filter((row) => !agentIds.has(row.name));
    for (const row of keptAgents) {
      agentIds.set(row.name, row.id);
      finalAgents.set(row.name, row);
    }

    const changes: PlanChange[] = [];
    bundle.agents.forEach((spec, index) => {
      spec.handoffTargets.forEach((target, position) => {
        if (target === spec.name || !agentIds.has(target)) {
          issues.push({
            path: ['bundle', 'agents', index, 'handoffTargets', position],
            message:
              target === spec.name
                ? 'An agent cannot hand off to itself'
                : `No agent named "${target}" in the bundle${prune ? '' : ' or the organization'}`,
          });
        }
      });
      const existing = existingAgents.get(spec.name);
      if (!existing) {
        changes.push({ kind: 'agent', name: spec.name, action: 'create', fields: [] });
        return;
      }
      const fields = differingFields(
        agentSpec(toAgent(existing), (id) => currentNames.get(id) ?? id),
        spec,
      );
      changes.push({
        kind: 'agent',
        name: spec.name,
        action: fields.length ? 'update' : 'unchanged',
        fields,
      });
    });

    // By id: two kept agents may share a name the bundle never uses.
    const facts = new Map<string, AgentFacts>(
      bundle.agents.map((spec) => [agentIds.get(spec.name)!, finalAgents.get(spec.name)!]),
    );
    for (const row of keptAgents) facts.set(row.id, row);
    const resolvedTemplates = bundle.sessionTemplates.map((spec, index) => {
      const unknown = spec.agents.filter((name) => !agentIds.has(name));
      spec.agents.forEach((name, position) => {
        if (!agentIds.has(name)) {
          issues.push({
            path: ['bundle', 'sessionTemplates', index, 'agents', position],
            message: `No agent named "${name}" in the bundle${prune ? '' : ' or the organization'}`,
          });
        }
      });
      const initialKnown = spec.initialAgent === null || agentIds.has(spec.initialAgent);
      if (!initialKnown) {
        issues.push({
          path: ['bundle', 'sessionTemplates', index, 'initialAgent'],
          message: `No agent named "${spec.initialAgent}" in the bundle${prune ? '' : ' or the organization'}`,
        });
      }
      const fields = {
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
      if (!unknown.length && initialKnown) {
        const problems = templateProblems(fields, facts);
        if (problems) {
          issues.push({ path: ['bundle', 'sessionTemplates', index], message: problems.message });
        }
      }
      return { spec, fields };
    });
    for (const { spec } of resolvedTemplates) {
      const existing = existingTemplates.get(spec.name);
      if (!existing) {
        changes.push({ kind: 'sessionTemplate', name: spec.name, action: 'create', fields: [] });
        continue;
      }
      const fields = differingFields(
        templateSpec(toSessionTemplate(existing), (id) => currentNames.get(id) ?? id),
        spec,
      );
      changes.push({
        kind: 'sessionTemplate',
        name: spec.name,
        action: fields.length ? 'update' : 'unchanged',
        fields,
      });
    }

    // Without `prune`, the templates the bundle does not name stay, and must still hold with the
    // agents as they will be.
    const bundledTemplates = new Set(bundle.sessionTemplates.map((spec) => spec.name));
    const keptTemplates = prune ? [] : templateRows.filter((row) => !bundledTemplates.has(row.name));
    for (const row of keptTemplates) {
      const problems = templateProblems(row, facts);
      if (problems) {
        issues.push({
          path: ['organization', 'sessionTemplates', row.name],
          message: `Kept as it is, it would break: ${problems.message}`,
        });
      }
    }
    if (issues.length) throw refused(issues);

    const deletedTemplates = prune ? templateRows.filter((row) => !bundledTemplates.has(row.name)) : [];
    const bundledAgents = new Set(bundle.agents.map((spec) => spec.name));
    const deletedAgents = prune ? agentRows.filter((row) => !bundledAgents.has(row.name)) : [];
    for (const row of deletedAgents)
      changes.push({ kind: 'agent', name: row.name, action: 'delete', fields: [] });
    for (const row of deletedTemplates) {
      changes.push({ kind: 'sessionTemplate', name: row.name, action: 'delete', fields: [] });
    }
    const ordered = [
      ...sorted(changes.filter((change) => change.kind === 'agent')),
      ...sorted(changes.filter((change) => change.kind === 'sessionTemplate')),
    ];
    const writes = ordered.filter((change) => change.action !== 'unchanged');
    if (dryRun || !writes.length) return { dryRun, applied: false, changes: ordered };

    const actionOf = new Map(writes.map((change) => [`${change.kind}:${change.name}`, change.action]));
    const revisions: Change[] = [];

    // Agents: new ones in one insert (with the ids the plan gave them), changed ones one by one.
    const newAgents = bundle.agents.filter((spec) => actionOf.get(`agent:${spec.name}`) === 'create');
    const agentValues = (spec: AgentSpec) => ({
      name: spec.name,
      instructions: spec.instructions,
      model: spec.model,
      voice: spec.voice,
      tools: spec.tools,
      modality: spec.modality,
      panels: spec.panels,
      handoffTargets: spec.handoffTargets.map((name) => agentIds.get(name)!),
    });
    for (let start = 0; start < newAgents.length; start += 500) {
      const rows = await tx
        .insert(agents)
        .values(
          newAgents
            .slice(start, start + 500)
            .map((spec) => ({ id: agentIds.get(spec.name)!, organizationId, ...agentValues(spec) })),
        )
        .returning();
      for (const row of rows)
        revisions.push({ kind: 'agent', action: 'imported', before: null, after: toAgent(row) });
    }
    for (const spec of bundle.agents.filter((s) => actionOf.get(`agent:${s.name}`) === 'update')) {
      const existing = existingAgents.get(spec.name)!;
      const [row] = await tx
        .update(agents)
        .set({ ...agentValues(spec), version: sql`${agents.version} + 1`, updatedAt: sql`now()` })
        .where(eq(agents.id, existing.id))
        .returning();
      revisions.push({ kind: 'agent', action: 'imported', before: toAgent(existing), after: toAgent(row!) });
    }

    // Templates deleted by `prune` go before the agents they list.
    if (deletedTemplates.length) {
      const rows = await tx
        .update(sessionTemplates)
        .set({ isActive: false, version: sql`${sessionTemplates.version} + 1`, updatedAt: sql`now()` })
        .where(
          inArray(
            sessionTemplates.id,
            deletedTemplates.map((row) => row.id),
          ),
        )
        .returning();
      for (const row of rows) {
        const before = deletedTemplates.find((template) => template.id === row.id)!;
        revisions.push({
          kind: 'sessionTemplate',
          action: 'imported',
          before: toSessionTemplate(before),
          after: toSessionTemplate(row),
        });
      }
    }
    if (deletedAgents.length) {
      const rows = await tx
        .update(agents)
        .set({ isActive: false, version: sql`${agents.version} + 1`, updatedAt: sql`now()` })
        .where(
          inArray(
            agents.id,
            deletedAgents.map((row) => row.id),
          ),
        )
        .returning();
      for (const row of rows) {
        const before = deletedAgents.find((agent) => agent.id === row.id)!;
        revisions.push({ kind: 'agent', action: 'imported', before: toAgent(before), after: toAgent(row) });
      }
    }

    const templateValues = resolvedTemplates.map(({ fields }) => fields);
    const newTemplates = templateValues.filter(
      (fields) => actionOf.get(`sessionTemplate:${fields.name}`) === 'create',
    );
    for (let start = 0; start < newTemplates.length; start += 500) {
      const rows = await tx
        .insert(sessionTemplates)
        .values(newTemplates.slice(start, start + 500).map((fields) => ({ ...fields, organizationId })))
        .returning();
      for (const row of rows) {
        revisions.push({
          kind: 'sessionTemplate',
          action: 'imported',
          before: null,
          after: toSessionTemplate(row),
        });
      }
    }
    for (const fields of templateValues.filter(
      (f) => actionOf.get(`sessionTemplate:${f.name}`) === 'update',
    )) {
      const existing = existingTemplates.get(fields.name)!;
      const [row] = await tx
        .update(sessionTemplates)
        .set({ ...fields, version: sql`${sessionTemplates.version} + 1`, updatedAt: sql`now()` })
        .where(eq(sessionTemplates.id, existing.id))
        .returning();
      revisions.push({
        kind: 'sessionTemplate',
        action: 'imported',
        before: toSessionTemplate(existing),
        after: toSessionTemplate(row!),
      });
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
    return { dryRun: false, applied: true, changes: ordered };
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
