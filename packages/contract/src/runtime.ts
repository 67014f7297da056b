import { z } from 'zod';
import { Agent } from './agents';
import { distinct, Id, PositiveInt4, Timestamp, text } from './common';
import { modalityProfileSchema as ModalityProfile, panelTypeSchema as PanelType } from './enumSchemas';
import { API_KEY_SCOPES } from './enums';
import { EnvironmentName, RELEASE_ARMS } from './environments';
import { Release } from './releases';
import { Variable } from './variables';

/** An organization's key for servers (the session runtime, CI); its secret is shown once, at creation. */
export const ApiKey = z
  .object({
    id: Id,
    organizationId: Id,
    name: z.string(),
    scope: z.enum(API_KEY_SCOPES),
    /**
     * The environment the key is bound to (null: none): it reads that environment's session config
     * by default, may not ask for another, and deploys only to it.
     */
    environment: z.string().nullable(),
    /** The secret's first 12 characters, to recognise it in a list. */
    prefix: z.string(),
    createdBy: z.object({ id: Id, name: z.string() }),
    createdAt: Timestamp,
    expiresAt: Timestamp.nullable(),
    /** When the key was last used; at most a minute old. */
    lastUsedAt: Timestamp.nullable(),
    revokedAt: Timestamp.nullable(),
    /** Who revoked it; null while it is not revoked. */
    revokedBy: z.object({ id: Id, name: z.string() }).nullable(),
  })
  .meta({ id: 'ApiKey' });
export type ApiKey = z.infer<typeof ApiKey>;

export const CreateApiKeyInput = z
  .strictObject({
    name: text().trim().min(1).max(100),
    scope: z.enum(API_KEY_SCOPES),
    expiresAt: Timestamp.nullable().default(null),
    /** Bind the key to this environment (docs/api.md "Environments and deployments"). */
    environment: EnvironmentName.nullable().default(null),
  })
  .meta({ id: 'CreateApiKeyInput' });
export type CreateApiKeyInput = z.input<typeof CreateApiKeyInput>;

export const CreatedApiKey = z.object({ apiKey: ApiKey, secret: z.string() }).meta({ id: 'CreatedApiKey' });
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;

export const ApiKeyList = z.object({ items: z.array(ApiKey) }).meta({ id: 'ApiKeyList' });
export type ApiKeyList = z.infer<typeof ApiKeyList>;

/** What a session may narrow in its template (docs/api.md "Session config"); every field optional. */
export const SessionConfigOverrides = z
  .strictObject({
    initialAgentId: Id.optional(),
    modalityProfile: ModalityProfile.optional(),
    enabledPanels: distinct(PanelType, 'enabledPanels').optional(),
    maxDurationSeconds: PositiveInt4.optional(),
    idleTimeoutSeconds: PositiveInt4.optional(),
  })
  .meta({ id: 'SessionConfigOverrides' });
export type SessionConfigOverrides = z.infer<typeof SessionConfigOverrides>;

export const SessionConfigInput = z
  .strictObject({
    id: Id,
    overrides: SessionConfigOverrides.optional(),
    /**
     * A value for each of the session's variables (docs/api.md "Variables"): every required one, each of
     * its type, no unknown name. Checked all at once by the server (one 400 naming every offender).
     */
    variables: z.record(z.string(), z.unknown()).optional(),
    /** Whose release to serve: default the key's environment, else production. */
    environment: EnvironmentName.optional(),
    /** Picks the canary or the stable arm when the environment has a canary (the same key, the same arm). */
    sessionKey: text().min(1).max(200).optional(),
  })
  .meta({ id: 'SessionConfigInput' });
export type SessionConfigInput = z.input<typeof SessionConfigInput>;

/**
 * An agent as a session gets it: its full definition, and its instructions with the session's
 * variable values in place (null while a required value it declares is missing).
 */
export const SessionAgent = Agent.extend({ renderedInstructions: z.string().nullable() }).meta({
  id: 'SessionAgent',
});
export type SessionAgent = z.infer<typeof SessionAgent>;

/** A template resolved for a session start: everything the runtime needs, in one answer. */
export const SessionConfig = z
  .object({
    templateId: Id,
    templateVersion: z.int(),
    name: z.string(),
    modalityProfile: ModalityProfile,
    /** What the end-user's browser may publish. */
    media: z.object({ audio: z.literal(true), camera: z.boolean(), screenshare: z.boolean() }),
    enabledPanels: z.array(PanelType),
    maxDurationSeconds: z.int().nullable(),
    idleTimeoutSeconds: z.int(),
    /** The agent that greets first: the template's, or the first of its agents. */
    initialAgentId: Id,
    /** The full definition of each agent, in the template's order, with its instructions rendered. */
    agents: z.array(SessionAgent),
    /** The session's variables: its agents' declarations merged, sorted by name. */
    variables: z.array(Variable),
    /** The fields that came from overrides (`[]` when none). */
    overridden: z.array(z.string()),
    /** The environment served. */
    environment: z.string(),
    /** The release served: its template version, the agent versions it runs and the arm that chose it. */
    release: Release.extend({ arm: z.enum(RELEASE_ARMS) }),
    /** Changes whenever what this call serves changes (also the `ETag` header). */
    etag: z.string(),
  })
  .meta({ id: 'SessionConfig' });
export type SessionConfig = z.infer<typeof SessionConfig>;
