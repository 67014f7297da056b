import { z } from 'zod';
import { Agent } from './agents';
import { Id, LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, PositiveInt4, pageOf, Timestamp, text } from './common';
import { ACTOR_TYPES, AUDIT_ACTIONS, AUDIT_RESOURCE_TYPES, GUARD_STATUSES, REVISION_ACTIONS } from './enums';
import { ServedRelease } from './releases';
import { SessionTemplate } from './sessionTemplates';

/** Who made a change, with the name they had at the time (a user's full name, else email; a key's name). */
export const ChangeActor = z
  .object({ type: z.enum(ACTOR_TYPES), id: Id.nullable(), name: z.string() })
  .meta({ id: 'ChangeActor' });
export type ChangeActor = z.infer<typeof ChangeActor>;

export const FieldChange = z
  .object({ field: z.string(), before: z.unknown(), after: z.unknown() })
  .meta({ id: 'FieldChange' });
export type FieldChange = z.infer<typeof FieldChange>;

const revisionFields = {
  version: z.int(),
  action: z.enum(REVISION_ACTIONS),
  actor: ChangeActor,
  at: Timestamp,
  /** Every client-settable field that differs from the previous revision. */
  changes: z.array(FieldChange),
};

export const SessionTemplateRevision = z
  .object({
    ...revisionFields,
    snapshot: SessionTemplate,
    /** The version of every agent in the template's set when the revision was made. */
    agentVersions: z.record(z.string(), z.int()),
  })
  .meta({ id: 'SessionTemplateRevision' });
export type SessionTemplateRevision = z.infer<typeof SessionTemplateRevision>;

export const AgentRevision = z.object({ ...revisionFields, snapshot: Agent }).meta({ id: 'AgentRevision' });
export type AgentRevision = z.infer<typeof AgentRevision>;

export const SessionTemplateRevisionPage = pageOf(SessionTemplateRevision).meta({
  id: 'SessionTemplateRevisionPage',
});
export const AgentRevisionPage = pageOf(AgentRevision).meta({ id: 'AgentRevisionPage' });

const limit = z.int().min(1).max(LIST_LIMIT_MAX).default(LIST_LIMIT_DEFAULT);
const cursor = text().min(1).max(200).optional();

/** A page of one template's or agent's revisions, newest first. */
export const RevisionListInput = z.strictObject({ id: Id, limit, cursor });
export type RevisionListInput = z.input<typeof RevisionListInput>;

export const RevisionInput = z.strictObject({ id: Id, version: PositiveInt4 });

/** Puts back the configuration of revision `toVersion` as a new version; `version`, when given, must be the current one. */
export const RestoreInput = z
  .strictObject({ id: Id, toVersion: PositiveInt4, version: PositiveInt4.optional() })
  .meta({ id: 'RestoreInput' });
export type RestoreInput = z.input<typeof RestoreInput>;

export const AuditEvent = z
  .object({
    id: Id,
    at: Timestamp,
    actor: ChangeActor,
    action: z.enum(AUDIT_ACTIONS),
    resource: z.object({ type: z.enum(AUDIT_RESOURCE_TYPES), id: Id, name: z.string() }),
    /** The revision's version, or null where there is none. */
    version: z.int().nullable(),
    /** The `x-request-id` of the request that made the change. */
    requestId: z.string(),
    /**
     * Its place among the organization's change events, in the order they became visible (docs/api.md
     * "Change events"); null for the few milliseconds before it is numbered.
     */
    sequence: z.int().nullable(),
    /** A release record's event (`deployment.*`): what the environment serves from then on. */
    release: ServedRelease.optional(),
    /** A `deployment.guardChanged` event: the guard's new status and the figures behind it. */
    guard: z.object({ status: z.enum(GUARD_STATUSES), detail: z.string().nullable() }).optional(),
  })
  .meta({ id: 'AuditEvent' });
export type AuditEvent = z.infer<typeof AuditEvent>;

export const AuditEventPage = pageOf(AuditEvent).meta({ id: 'AuditEventPage' });
export type AuditEventPage = z.infer<typeof AuditEventPage>;

export const AuditListInput = z.strictObject({
  limit,
  cursor,
  resourceType: z.enum(AUDIT_RESOURCE_TYPES).optional(),
  resourceId: Id.optional(),
  actorId: Id.optional(),
  action: z.enum(AUDIT_ACTIONS).optional(),
});
export type AuditListInput = z.input<typeof AuditListInput>;
