import { environmentOf, type PromoteInput, type PromotionPlan } from '@switchboard/contract';
import { type Db, deployments, sessionTemplates } from '@switchboard/db';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { activeRows, writeTransaction } from '../../core/db';
import { AppError } from '../../core/errors';
import { lockEnvironment } from '../environments/environments';
import { commitRelease, type Deployer, forbiddenEnvironment, refuseFollowingLatest } from './deployments';
import {
  canaryOf,
  currentAgentVersions,
  currentSession,
  planMoves,
  type ReleaseMove,
  releaseColumns,
  sameServed,
  servedBy,
  stableOf,
} from './releases';

/**
 * Copies the stable release of every template deployed in `from` (or of the listed ones) to the
 * target environment as its stable, all or nothing: a listed template that `from` does not serve
 * is 409 and nothing changes. From an environment that follows latest, the release is each
 * template's current session. The plan names, template by template and agent by agent, what the
 * target will change, and the warnings it earns; a dry run only plans.
 */
export async function promote(
  db: Db,
  by: Deployer,
  input: z.output<typeof PromoteInput>,
): Promise<PromotionPlan> {
  const run = async (tx: Db): Promise<PromotionPlan> => {
    const target = await lockEnvironment(tx, by.organizationId, environmentOf(input), 'share');
    if (by.boundTo !== null && target.id !== by.boundTo) throw forbiddenEnvironment(target.name);
    refuseFollowingLatest(target);
    const source = await lockEnvironment(tx, by.organizationId, input.from, 'share');
    if (source.id === target.id) {
      throw new AppError('BAD_REQUEST', 'Promote copies from another environment', {
        issues: [{ path: ['from'], message: 'Must be another environment than the target' }],
      });
    }
    const asked = input.templateIds ? [...new Set(input.templateIds)] : undefined;
    // What `from` serves of each template in scope, with the template's current name (locked FOR SHARE).
    const templates = await tx
      .select(releaseColumns)
      .from(sessionTemplates)
      .where(
        and(
          activeRows(sessionTemplates, by.organizationId),
          asked
            ? inArray(sessionTemplates.id, asked)
            : source.followsLatest
              ? undefined
              : sql`${sessionTemplates.id} in (select template_id from deployments where environment_id = ${source.id})`,
        ),
      )
      .orderBy(asc(sessionTemplates.id))
      .for('share');
    const sourceRows = source.followsLatest
      ? []
      : await tx.select().from(deployments).where(eq(deployments.environmentId, source.id));
    const servedInSource = new Map(sourceRows.map((row) => [row.templateId, stableOf(row)]));
    const missing = (asked ?? []).filter(
      (id) =>
        !templates.some((template) => template.id === id) ||
        (!source.followsLatest && !servedInSource.has(id)),
    );
    if (missing.length) {
      throw new AppError(
        'CONFLICT',
        `${input.from} does not serve ${missing.length === 1 ? 'template' : 'templates'} ${missing.join(', ')}; nothing was promoted`,
        { reason: 'notDeployed', templateIds: missing },
      );
    }
    const targetRows = await tx
      .select()
      .from(deployments)
      .where(
        and(
          eq(deployments.environmentId, target.id),
          inArray(
            deployments.templateId,
            templates.map((template) => template.id),
          ),
        ),
      )
      .for('update');
    const existing = new Map(targetRows.map((row) => [row.templateId, row]));
    // From an environment that follows latest: every template's current session, its agents'
    // versions read in one query for all of them.
    const agentVersions = source.followsLatest
      ? await currentAgentVersions(tx, by.organizationId, [...new Set(templates.flatMap((t) => t.agentIds))])
      : {};
    const moves: ReleaseMove[] = [];
    for (const template of templates) {
      const to = source.followsLatest
        ? currentSession(template, agentVersions)
        : servedInSource.get(template.id);
      if (!to) continue;
      const current = existing.get(template.id);
      if (current && sameServed(servedBy(current), { stable: to, canary: null })) continue;
      moves.push({
        templateId: template.id,
        templateName: template.name,
        from: current ? stableOf(current) : null,
        to,
        endedCanary: current ? canaryOf(current) : null,
      });
    }
    const { changes, warnings } = await planMoves(tx, by.organizationId, target, moves);
    if (!input.dryRun) {
      for (const move of moves) {
        await commitRelease(
          tx,
          by,
          target,
          { id: move.templateId, name: move.templateName },
          existing.get(move.templateId) ?? null,
          { stable: move.to, canary: null },
          'promoted',
          `Promoted from ${source.name}`,
        );
      }
    }
    return { dryRun: input.dryRun, applied: !input.dryRun && moves.length > 0, changes, warnings };
  };
  return writeTransaction(db, run);
}
