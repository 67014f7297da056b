/**
 * Every enum of the contract, defined once as `as const` arrays (zod, Drizzle CHECKs, OpenAPI and
 * forms all read these). Free of zod, so the published client can carry it.
 */

export const ROLES = ['admin', 'member'] as const;
export type Role = (typeof ROLES)[number];

/** What one agent needs from the end-user. */
export const AGENT_MODALITIES = ['audio_only', 'audio_camera', 'audio_screenshare'] as const;
export type AgentModality = (typeof AGENT_MODALITIES)[number];

/** What the end-user's browser may publish during a session. */
export const MODALITY_PROFILES = [
  'audio_only',
  'audio_camera',
  'audio_screenshare',
  'audio_camera_screenshare',
] as const;
export type ModalityProfile = (typeof MODALITY_PROFILES)[number];

export const PANEL_TYPES = [
  'slide_presenter',
  'notepad',
  'coding_ide',
  'whiteboard',
  'document_viewer',
] as const;
export type PanelType = (typeof PANEL_TYPES)[number];

/** The agent modalities each session profile covers: a profile covers a modality when it includes every medium the modality needs. */
export const PROFILE_COVERAGE: Readonly<Record<ModalityProfile, readonly AgentModality[]>> = {
  audio_only: ['audio_only'],
  audio_camera: ['audio_only', 'audio_camera'],
  audio_screenshare: ['audio_only', 'audio_screenshare'],
  audio_camera_screenshare: ['audio_only', 'audio_camera', 'audio_screenshare'],
};

export function profileCovers(profile: ModalityProfile, modality: AgentModality): boolean {
  return PROFILE_COVERAGE[profile].includes(modality);
}

/** What the end-user's browser may publish under a profile (audio always). */
export function profileMedia(profile: ModalityProfile): {
  audio: true;
  camera: boolean;
  screenshare: boolean;
} {
  const covered = PROFILE_COVERAGE[profile];
  return {
    audio: true,
    camera: covered.includes('audio_camera'),
    screenshare: covered.includes('audio_screenshare'),
  };
}

/** Error codes of the contract, with the HTTP status each one answers with. */
export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_SERVER_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

/** What a revision records (docs/api.md "Revisions"). */
export const REVISION_ACTIONS = ['created', 'cloned', 'updated', 'deleted', 'restored', 'imported'] as const;
export type RevisionAction = (typeof REVISION_ACTIONS)[number];

/**
 * Who made a change: a user, an API key, or `system` (the revisions the migration wrote for what
 * existed before history was kept).
 */
export const ACTOR_TYPES = ['user', 'apiKey', 'system'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

/** The kinds of resource an audit event can concern. */
export const AUDIT_RESOURCE_TYPES = [
  'agent',
  'sessionTemplate',
  'member',
  'apiKey',
  'config',
  'environment',
  'deployment',
  'webhook',
] as const;
export type AuditResourceType = (typeof AUDIT_RESOURCE_TYPES)[number];

/** Every audit action, `<resource type>.<verb>`. */
export const AUDIT_ACTIONS = [
  'agent.created',
  'agent.cloned',
  'agent.updated',
  'agent.deleted',
  'agent.restored',
  'agent.imported',
  'sessionTemplate.created',
  'sessionTemplate.cloned',
  'sessionTemplate.updated',
  'sessionTemplate.deleted',
  'sessionTemplate.restored',
  'sessionTemplate.imported',
  'member.added',
  'member.updated',
  'apiKey.created',
  'apiKey.revoked',
  'config.imported',
  'environment.created',
  'environment.updated',
  'environment.deleted',
  'deployment.deployed',
  'deployment.promoted',
  'deployment.canaryPromoted',
  'deployment.canaryAborted',
  'deployment.undeployed',
  'deployment.rolledBack',
  'deployment.canaryRamped',
  'deployment.guardChanged',
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
  'webhook.disabled',
  'webhook.secretRotated',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
// Every revision action of an agent or a template is an audit action.
const everyRevisionAudited: `${'agent' | 'sessionTemplate'}.${RevisionAction}` extends AuditAction
  ? true
  : never = true;
void everyRevisionAudited;

/**
 * What a release record did (docs/api.md "Releases"): every change of what an environment serves for a
 * template is one record. `pinned`: the environment stopped following latest (what it served then
 * is its first record); `followedLatest`: it started to (it serves the current template from then on).
 */
export const RELEASE_RECORD_ACTIONS = [
  'deployed',
  'canaryStarted',
  'canaryRamped',
  'canaryPromoted',
  'canaryAborted',
  'rolledBack',
  'promoted',
  'undeployed',
  'pinned',
  'followedLatest',
] as const;
export type ReleaseRecordAction = (typeof RELEASE_RECORD_ACTIONS)[number];

/** Why a release deserves a second look before it is confirmed (docs/api.md "Releases"). */
export const RELEASE_WARNING_CODES = ['requiredVariableAdded', 'neverServed'] as const;
export type ReleaseWarningCode = (typeof RELEASE_WARNING_CODES)[number];

/** The fields of a session template a client sets: what a revision's `changes` compares and a restore puts back. */
export const TEMPLATE_SETTABLE_FIELDS = [
  'name',
  'description',
  'agentIds',
  'initialAgentId',
  'modalityProfile',
  'enabledPanels',
  'maxDurationSeconds',
  'idleTimeoutSeconds',
] as const;

/** The fields of an agent a client sets. */
export const AGENT_SETTABLE_FIELDS = [
  'name',
  'instructions',
  'model',
  'voice',
  'handoffTargets',
  'tools',
  'modality',
  'panels',
  'variables',
] as const;

/** What an API key may do: `read` every read of agents and templates; `write` those and every write of them. */
export const API_KEY_SCOPES = ['read', 'write'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** The start of every API key's secret, so a key is told from a user's token at a glance. */
export const API_KEY_PREFIX = 'sbk_';

/** Where a webhook delivery stands: still to be sent (or retried), delivered, or given up. */
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** What a canary's guard has found (docs/api.md "Session outcomes and guarded canaries"). */
export const GUARD_STATUSES = ['watching', 'passed', 'breached', 'inconclusive'] as const;
export type GuardStatus = (typeof GUARD_STATUSES)[number];

/** How a session ended, as the runtime reports it. */
export const OUTCOME_STATUSES = ['completed', 'failed', 'abandoned'] as const;
export type OutcomeStatus = (typeof OUTCOME_STATUSES)[number];
