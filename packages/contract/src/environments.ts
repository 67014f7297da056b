import { z } from 'zod';
import { Id, LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, PositiveInt4, pageOf, Timestamp, text } from './common';
import { RELEASE_RECORD_ACTIONS, RELEASE_WARNING_CODES } from './enums';
import { Guard, GuardSettings } from './guards';
import { ChangeActor, FieldChange } from './history';
import { CanaryRelease, Release, ServedRelease } from './releases';

/** Every organization has it from the start; it cannot be renamed or deleted. */
export const PRODUCTION = 'production';
/** The most environments one organization may have. */
export const ENVIRONMENTS_MAX = 10;

/** An environment's name: 1..40 of `a-z`, `0-9` and `-`. */
export const EnvironmentName = z
  .string()
  .regex(/^[a-z0-9-]{1,40}$/, 'Must be 1..40 characters of a-z, 0-9 and -');

/**
 * Where runtimes read session config from (docs/api.md "Environments and deployments"). One that
 * follows latest serves the current version of every template and agent; another serves only what
 * was deployed to it.
 */
export const Environment = z
  .object({
    id: Id,
    name: z.string(),
    followsLatest: z.boolean(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Environment' });
export type Environment = z.infer<typeof Environment>;

export const EnvironmentList = z.object({ items: z.array(Environment) }).meta({ id: 'EnvironmentList' });
export type EnvironmentList = z.infer<typeof EnvironmentList>;

export const CreateEnvironmentInput = z
  .strictObject({ name: EnvironmentName, followsLatest: z.boolean().default(false) })
  .meta({ id: 'CreateEnvironmentInput' });
export type CreateEnvironmentInput = z.input<typeof CreateEnvironmentInput>;

/**
 * Which environment a call is about, by name: `environment` (over REST, the path's `{name}`), or
 * `name` itself, the path parameter's name in docs/api.md, over tRPC. One of the two is required, and
 * both must then name the same environment.
 */
const environmentSelector = {
  environment: EnvironmentName.optional(),
  /** The same as `environment` (over tRPC; REST takes it in the path). */
  name: EnvironmentName.optional(),
};
type Selector = { environment?: string; name?: string };
function oneEnvironment(value: Selector, context: z.RefinementCtx) {
  if (value.environment === undefined && value.name === undefined) {
    context.addIssue({
      code: 'custom',
      path: ['environment'],
      message: 'Required: the environment, by name',
    });
  } else if (
    value.environment !== undefined &&
    value.name !== undefined &&
    value.environment !== value.name
  ) {
    context.addIssue({
      code: 'custom',
      path: ['name'],
      message: 'Names another environment than `environment`',
    });
  }
}
/** The environment a call names (its input passed `oneEnvironment`, or is an update's). */
export function environmentOf(input: Selector): string {
  return (input.environment ?? input.name)!;
}

/** An environment by name. */
export const EnvironmentInput = z.strictObject(environmentSelector).superRefine(oneEnvironment);

/**
 * With `environment` (over REST, the path's), `name` is the new name; over tRPC, `name` alone names
 * the environment to change (and there is no rename).
 */
export const UpdateEnvironmentInput = z
  .strictObject({
    environment: EnvironmentName.optional(),
    /** The new name (or, without `environment`, the environment to change). */
    name: EnvironmentName.optional(),
    followsLatest: z.boolean().optional(),
    /** Only plan a switch of `followsLatest`: answer the `PromotionPlan` of what would change, change nothing. */
    dryRun: z.boolean().default(false),
  })
  .superRefine((value, context) => {
    if (value.environment === undefined && value.name === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['environment'],
        message: 'Required: the environment, by name',
      });
    }
  })
  .meta({ id: 'UpdateEnvironmentInput' });
export type UpdateEnvironmentInput = z.input<typeof UpdateEnvironmentInput>;

/** A deployment's canary and, when it is guarded, its guard. */
export const DeployedCanary = CanaryRelease.extend({ guard: Guard.nullable() }).meta({
  id: 'DeployedCanary',
});
export type DeployedCanary = z.infer<typeof DeployedCanary>;

/** What one environment serves for one template: a stable release and, for a share of sessions, a canary. */
export const Deployment = z
  .object({
    environment: z.string(),
    templateId: Id,
    templateName: z.string(),
    /** Counts the deployment's changes; send it back to change it safely. */
    version: z.int(),
    stable: Release,
    /** The canary and, when it is guarded, its guard (docs/api.md "Session outcomes and guarded canaries"). */
    canary: DeployedCanary.nullable(),
    deployedBy: ChangeActor,
    deployedAt: Timestamp,
    note: z.string().nullable(),
  })
  .meta({ id: 'Deployment' });
export type Deployment = z.infer<typeof Deployment>;

export const DeploymentPage = pageOf(Deployment).meta({ id: 'DeploymentPage' });
export type DeploymentPage = z.infer<typeof DeploymentPage>;

export const DeploymentListInput = z
  .strictObject({
    ...environmentSelector,
    /** Only this template's deployment (a page of one, or none). */
    templateId: Id.optional(),
    limit: z.int().min(1).max(LIST_LIMIT_MAX).default(LIST_LIMIT_DEFAULT),
    cursor: text().min(1).max(200).optional(),
  })
  .superRefine(oneEnvironment);
export type DeploymentListInput = z.input<typeof DeploymentListInput>;

/** One deployment: an environment's, of one template. */
export const DeploymentInput = z
  .strictObject({ ...environmentSelector, templateId: Id })
  .superRefine(oneEnvironment);

export const DeployInput = z
  .strictObject({
    ...environmentSelector,
    templateId: Id,
    /** The revision to deploy, with the agent versions it pinned; omitted: the session as it stands now. */
    templateVersion: PositiveInt4.optional(),
    /** Deploy as the canary for this share of sessions, keeping the stable. */
    canaryPercent: z.int().min(1).max(99).optional(),
    /** Guard the canary with the session outcomes: the server aborts it on a breach, or promotes it. */
    guard: GuardSettings.optional(),
    note: text().max(1000).optional(),
    /** The deployment's current version, when changing it safely. */
    version: PositiveInt4.optional(),
    /** Only plan: answer `{ plan, warnings }` and change nothing. */
    dryRun: z.boolean().default(false),
  })
  .superRefine(oneEnvironment)
  .superRefine((value, context) => {
    if (value.guard !== undefined && value.canaryPercent === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['guard'],
        message: 'A guard needs a canary: set canaryPercent',
      });
    }
  })
  .meta({ id: 'DeployInput' });
export type DeployInput = z.input<typeof DeployInput>;

export const PromoteInput = z
  .strictObject({
    /** The target environment (`environment` or `name`). */
    ...environmentSelector,
    /** The environment whose stable releases are copied. */
    from: EnvironmentName,
    /** Only these templates (default: every template deployed in `from`). */
    templateIds: z.array(Id).min(1).max(1000).optional(),
    dryRun: z.boolean().default(false),
  })
  .superRefine(oneEnvironment)
  .meta({ id: 'PromoteInput' });
export type PromoteInput = z.input<typeof PromoteInput>;

/** What a promotion changes in one template's release: its settings and each agent that moves. */
export const PromotionChange = z
  .object({
    templateId: Id,
    templateName: z.string(),
    from: Release.nullable(),
    to: Release,
    /** The template's settings that change (as in revisions). */
    fields: z.array(FieldChange),
    /** Every agent whose version changes (added: `fromVersion` null; removed: `toVersion` null). */
    agents: z.array(
      z.object({
        agentId: Id,
        name: z.string(),
        fromVersion: z.int().nullable(),
        toVersion: z.int().nullable(),
        fields: z.array(FieldChange),
      }),
    ),
    /** The canary this change ends (it serves no session afterwards), or null. */
    endedCanary: CanaryRelease.nullable(),
  })
  .meta({ id: 'PromotionChange' });
export type PromotionChange = z.infer<typeof PromotionChange>;

/**
 * Why a release deserves a second look (docs/api.md "Releases"): `requiredVariableAdded`, an agent of
 * the new release requires a variable the release it replaces did not (a runtime that does not send
 * it gets `renderedInstructions: null`); `neverServed`, a release going to production that no other
 * environment has served as its stable.
 */
export const ReleaseWarning = z
  .object({
    code: z.enum(RELEASE_WARNING_CODES),
    templateId: Id,
    /** What it means, in a sentence. */
    message: z.string(),
    /** `requiredVariableAdded`: the variable and the agent that requires it. */
    name: z.string().optional(),
    agentId: Id.optional(),
    /** `neverServed`: the release. */
    release: Release.optional(),
  })
  .meta({ id: 'ReleaseWarning' });
export type ReleaseWarning = z.infer<typeof ReleaseWarning>;

export const PromotionPlan = z
  .object({
    dryRun: z.boolean(),
    applied: z.boolean(),
    changes: z.array(PromotionChange),
    warnings: z.array(ReleaseWarning),
  })
  .meta({ id: 'PromotionPlan' });
export type PromotionPlan = z.infer<typeof PromotionPlan>;

/** Which release serves a session: the current one (an environment that follows latest), the stable or the canary. */
export const RELEASE_ARMS = ['latest', 'stable', 'canary'] as const;
export type ReleaseArm = (typeof RELEASE_ARMS)[number];

/** A deploy, rollback or ramp as it happened: the deployment afterwards, and the warnings it earned. */
export const DeploymentChange = Deployment.extend({ warnings: z.array(ReleaseWarning) }).meta({
  id: 'DeploymentChange',
});
export type DeploymentChange = z.infer<typeof DeploymentChange>;

/** A deploy, rollback or ramp with `dryRun: true`: what it would change, and nothing changed. */
export const ReleaseDryRun = z
  .object({ plan: PromotionPlan, warnings: z.array(ReleaseWarning) })
  .meta({ id: 'ReleaseDryRun' });
export type ReleaseDryRun = z.infer<typeof ReleaseDryRun>;

export const DeploymentChangeOrPlan = z
  .union([DeploymentChange, ReleaseDryRun])
  .meta({ id: 'DeploymentChangeOrPlan' });
export type DeploymentChangeOrPlan = z.infer<typeof DeploymentChangeOrPlan>;

/** An environment switch, or with `dryRun` the plan of what every template would serve instead. */
export const EnvironmentOrPlan = z.union([Environment, PromotionPlan]).meta({ id: 'EnvironmentOrPlan' });
export type EnvironmentOrPlan = z.infer<typeof EnvironmentOrPlan>;

/**
 * Serve again what this environment served before: without `toRecord`, the stable of the newest
 * earlier record whose stable differs from the current one; with it, that record's stable.
 */
export const RollbackInput = z
  .strictObject({
    ...environmentSelector,
    templateId: Id,
    /** The record (its `number`) whose stable to serve again. */
    toRecord: PositiveInt4.optional(),
    note: text().max(1000).optional(),
    version: PositiveInt4.optional(),
    dryRun: z.boolean().default(false),
  })
  .superRefine(oneEnvironment)
  .meta({ id: 'RollbackInput' });
export type RollbackInput = z.input<typeof RollbackInput>;

/** A running canary's share of sessions; its release never changes. */
export const RampCanaryInput = z
  .strictObject({
    ...environmentSelector,
    templateId: Id,
    percent: z.int().min(1).max(99),
    version: PositiveInt4.optional(),
    dryRun: z.boolean().default(false),
  })
  .superRefine(oneEnvironment)
  .meta({ id: 'RampCanaryInput' });
export type RampCanaryInput = z.input<typeof RampCanaryInput>;

/** One change of what an environment serves for a template; kept for ever, numbered from 1. */
export const ReleaseRecord = z
  .object({
    number: z.int(),
    environment: z.string(),
    templateId: Id,
    action: z.enum(RELEASE_RECORD_ACTIONS),
    ...ServedRelease.shape,
    by: ChangeActor,
    at: Timestamp,
    note: z.string().nullable(),
    /** Why the server itself acted (a guard), or null. */
    reason: z.string().nullable(),
  })
  .meta({ id: 'ReleaseRecord' });
export type ReleaseRecord = z.infer<typeof ReleaseRecord>;

export const ReleaseRecordPage = pageOf(ReleaseRecord).meta({ id: 'ReleaseRecordPage' });
export type ReleaseRecordPage = z.infer<typeof ReleaseRecordPage>;

export const ReleaseHistoryInput = z
  .strictObject({
    ...environmentSelector,
    templateId: Id,
    limit: z.int().min(1).max(LIST_LIMIT_MAX).default(LIST_LIMIT_DEFAULT),
    cursor: text().min(1).max(200).optional(),
  })
  .superRefine(oneEnvironment);
export type ReleaseHistoryInput = z.input<typeof ReleaseHistoryInput>;

export const ServedInput = z
  .strictObject({
    ...environmentSelector,
    /** The instant (default: now). */
    at: Timestamp.optional(),
    /** Only this template. */
    templateId: Id.optional(),
  })
  .superRefine(oneEnvironment);
export type ServedInput = z.input<typeof ServedInput>;

/** What an environment served at one instant, template by template. */
export const Served = z
  .object({
    at: Timestamp,
    items: z.array(
      z.object({
        templateId: Id,
        templateName: z.string(),
        stable: Release,
        canary: CanaryRelease.nullable(),
      }),
    ),
  })
  .meta({ id: 'Served' });
export type Served = z.infer<typeof Served>;

export const DeploymentMetricsInput = z
  .strictObject({
    ...environmentSelector,
    templateId: Id,
    /** Count from this instant (default: since each arm began to serve its release; at most 30 days back). */
    since: Timestamp.optional(),
  })
  .superRefine(oneEnvironment);
export type DeploymentMetricsInput = z.input<typeof DeploymentMetricsInput>;
