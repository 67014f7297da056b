/** What deployments read: the pages of an environment's deployments and records, what it served, and where a template is deployed. */
import {
  type DeploymentListInput,
  type DeploymentPage,
  environmentOf,
  type ReleaseHistoryInput,
  type ReleaseRecordPage,
  type Served,
  type ServedInput,
} from '@switchboard/contract';
import { type Db, deployments, environments, sessionTemplates } from '@switchboard/db';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { AppError } from '../../core/errors';
import { afterCursor, keysetPage } from '../../core/pagination';
import { type Deployer, readableEnvironment, toDeployment } from './deployments';
import { listReleaseRecords, servedAt } from './releases';

/** A page of an environment's deployments, the most recently changed first. */
export async function listDeployments(
  db: Db,
  by: Deployer,
  query: z.output<typeof DeploymentListInput>,
): Promise<DeploymentPage> {
  const environment = await readableEnvironment(db, by, environmentOf(query));
  const rows = await db
    .select({ deployment: deployments, templateName: sessionTemplates.name })
    .from(deployments)
    .innerJoin(sessionTemplates, eq(sessionTemplates.id, deployments.templateId))
    .where(
      and(
        eq(deployments.environmentId, environment.id),
        query.templateId === undefined ? undefined : eq(deployments.templateId, query.templateId),
        // The keyset is (deployed_at, template_id): a time and an id, as every list's cursor.
        afterCursor(query.cursor, deployments.deployedAt, deployments.templateId),
      ),
    )
    .orderBy(sql`${deployments.deployedAt} desc`, sql`${deployments.templateId} desc`)
    .limit(query.limit + 1);
  const page = keysetPage(rows, query.limit, (row) => ({
    createdAt: row.deployment.deployedAt,
    id: row.deployment.templateId,
  }));
  return {
    items: page.items.map((row) => toDeployment(row.deployment, environment.name, row.templateName)),
    nextCursor: page.nextCursor,
  };
}

/** A page of an environment's release records of one template, newest first. */
export async function releaseHistory(
  db: Db,
  by: Deployer,
  query: z.output<typeof ReleaseHistoryInput>,
): Promise<ReleaseRecordPage> {
  const environment = await readableEnvironment(db, by, environmentOf(query));
  return listReleaseRecords(db, by.organizationId, environment, query);
}

/** What an environment served at an instant (default now), template by template. */
export async function served(db: Db, by: Deployer, query: z.output<typeof ServedInput>): Promise<Served> {
  const environment = await readableEnvironment(db, by, environmentOf(query));
  return servedAt(
    db,
    by.organizationId,
    environment,
    query.at ? new Date(query.at) : new Date(),
    query.templateId,
  );
}

/** The manual environments (by name) each of `templateIds` is deployed to: what keeps a template from being deleted. */
export async function deployedTo(
  tx: Db,
  organizationId: string,
  templateIds: string[],
): Promise<Map<string, string[]>> {
  if (!templateIds.length) return new Map();
  const rows = await tx
    .select({ templateId: deployments.templateId, environment: environments.name })
    .from(deployments)
    .innerJoin(environments, eq(environments.id, deployments.environmentId))
    .where(
      and(
        eq(deployments.organizationId, organizationId),
        inArray(deployments.templateId, templateIds),
        eq(environments.followsLatest, false),
      ),
    )
    .orderBy(asc(environments.name));
  const found = new Map<string, string[]>();
  for (const row of rows) found.set(row.templateId, [...(found.get(row.templateId) ?? []), row.environment]);
  return found;
}

/** 409 when any of the templates is deployed to an environment that does not follow latest. */
export async function refuseDeletingDeployed(
  tx: Db,
  organizationId: string,
  templateIds: string[],
): Promise<void> {
  const found = await deployedTo(tx, organizationId, templateIds);
  if (!found.size) return;
  const environmentNames = [...new Set([...found.values()].flat())].sort();
  throw new AppError(
    'CONFLICT',
    `Deployed to ${environmentNames.join(', ')}: undeploy ${found.size === 1 ? 'it' : 'them'} there before deleting`,
    { environments: environmentNames, templateIds: [...found.keys()] },
  );
}
