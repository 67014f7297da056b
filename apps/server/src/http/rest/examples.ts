// Longer than 450 lines: data only: one example per named schema of the OpenAPI document, each parsed by the contract's schema in a test.
import { DEFAULT_CATALOG } from '@switchboard/contract';

/**
 * Examples for the OpenAPI document, in the demo data's shapes (`pnpm seed`), one per named
 * component, so Swagger UI's "Try it out" starts from a valid body. A test parses each with the
 * contract's schema of that name, so an example cannot drift from the contract.
 */
const ORGANIZATION_ID = '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b';
const ADMIN_ID = '1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7a8b';
const MEMBER_ID = '2c3d4e5f-6071-4829-8b3c-4d5e6f7a8b9c';
const TRIAGE_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const CODER_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const TEMPLATE_ID = '3e7a4c1d-2b5f-4e8a-9c6d-1f0b2a3c4d5e';
const AT = '2026-11-29T09:00:00.000Z';

const organization = { id: ORGANIZATION_ID, name: 'Test Organization', createdAt: AT, updatedAt: AT };
const admin = {
  id: ADMIN_ID,
  organizationId: ORGANIZATION_ID,
  email: 'admin@example.com',
  fullName: 'Demo Admin',
  role: 'admin',
  isActive: true,
  createdAt: AT,
  updatedAt: AT,
};
const member = {
  ...admin,
  id: MEMBER_ID,
  email: 'member@example.com',
  fullName: 'Demo Member',
  role: 'member',
};
const triage = {
  id: TRIAGE_ID,
  organizationId: ORGANIZATION_ID,
  name: 'Triage Agent',
  instructions: 'Greet the candidate, confirm the role they applied for, then hand off to the coding expert.',
  model: 'gpt-4.1-mini',
  voice: 'alloy',
  handoffTargets: [CODER_ID],
  tools: [],
  modality: 'audio_only',
  panels: [],
  variables: [],
  isActive: true,
  version: 1,
  createdAt: AT,
  updatedAt: AT,
};
const coder = {
  ...triage,
  id: CODER_ID,
  name: 'Coding Expert',
  instructions:
    'Run a 30-minute coding exercise in the shared IDE and ask the candidate to share their screen.',
  handoffTargets: [],
  tools: ['run_tests'],
  modality: 'audio_screenshare',
  panels: ['coding_ide'],
};
const template = {
  id: TEMPLATE_ID,
  organizationId: ORGANIZATION_ID,
  name: 'Default Coding Interview',
  description: 'A triage agent greets the candidate, then a coding expert runs the exercise in the IDE.',
  agentIds: [TRIAGE_ID, CODER_ID],
  initialAgentId: TRIAGE_ID,
  modalityProfile: 'audio_screenshare',
  enabledPanels: ['coding_ide'],
  maxDurationSeconds: 3600,
  idleTimeoutSeconds: 300,
  isActive: true,
  version: 1,
  createdAt: AT,
  updatedAt: AT,
};

const actor = { type: 'user', id: ADMIN_ID, name: 'Demo Admin' };
const LATER = '2026-11-29T09:30:00.000Z';
const templateRevision = {
  version: 2,
  action: 'updated',
  actor,
  at: LATER,
  changes: [{ field: 'idleTimeoutSeconds', before: 300, after: 120 }],
  snapshot: { ...template, idleTimeoutSeconds: 120, version: 2, updatedAt: LATER },
  agentVersions: { [TRIAGE_ID]: 1, [CODER_ID]: 1 },
};
const agentRevision = {
  version: 2,
  action: 'updated',
  actor,
  at: LATER,
  changes: [{ field: 'voice', before: 'alloy', after: 'verse' }],
  snapshot: { ...triage, voice: 'verse', version: 2, updatedAt: LATER },
};
const auditEvent = {
  id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
  at: LATER,
  actor,
  action: 'sessionTemplate.updated',
  resource: { type: 'sessionTemplate', id: TEMPLATE_ID, name: template.name },
  version: 2,
  requestId: 'b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
  sequence: 42,
};

const apiKey = {
  id: '5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e9f',
  organizationId: ORGANIZATION_ID,
  name: 'Session runtime (production)',
  scope: 'read',
  prefix: 'sbk_Q2x9vT3m',
  createdBy: { id: ADMIN_ID, name: 'Demo Admin' },
  createdAt: AT,
  expiresAt: null,
  lastUsedAt: LATER,
  revokedAt: null,
  revokedBy: null,
  environment: 'production',
};
const sessionConfig = {
  templateId: TEMPLATE_ID,
  templateVersion: 1,
  name: template.name,
  modalityProfile: 'audio_screenshare',
  media: { audio: true, camera: false, screenshare: true },
  enabledPanels: ['coding_ide'],
  maxDurationSeconds: 3600,
  idleTimeoutSeconds: 300,
  initialAgentId: TRIAGE_ID,
  agents: [
    { ...triage, renderedInstructions: triage.instructions },
    { ...coder, renderedInstructions: coder.instructions },
  ],
  variables: [],
  overridden: [],
  environment: 'production',
  release: { templateVersion: 1, agentVersions: { [TRIAGE_ID]: 1, [CODER_ID]: 1 }, arm: 'stable' },
  etag: 'Yk3pQ0vN8mX2rT5wZ7aB9cD1eF4',
};

const environment = {
  id: '8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968',
  name: 'staging',
  followsLatest: false,
  createdAt: AT,
  updatedAt: AT,
};
const stable = { templateVersion: 1, agentVersions: { [TRIAGE_ID]: 1, [CODER_ID]: 1 } };
const canary = { templateVersion: 2, agentVersions: { [TRIAGE_ID]: 2, [CODER_ID]: 1 } };
const deployment = {
  environment: 'production',
  templateId: TEMPLATE_ID,
  templateName: template.name,
  version: 3,
  stable,
  canary: { ...canary, percent: 10, guard: null as unknown },
  deployedBy: actor,
  deployedAt: LATER,
  note: 'Shorter greeting for 10% of sessions',
};
const guardSettings = {
  maxFailureRateIncrease: 0.02,
  maxFirstResponseP95IncreaseMs: 300,
  minSessions: 200,
  bakeMinutes: 30,
  autoPromote: true,
};
const guard = {
  ...guardSettings,
  status: 'watching',
  checkedAt: LATER,
  detail:
    'Baking for 30 min, no breach so far: canary 214 sessions, failure rate 1.9%; stable 1930 sessions, failure rate 1.6%',
};
deployment.canary.guard = guard;
const armMetrics = (release: typeof stable, sessions: number, failed: number, p95: number) => ({
  release,
  sessions,
  failed,
  failureRate: failed / sessions,
  firstResponseP95Ms: p95,
  meanScore: 0.82,
});
const outcome = {
  templateId: TEMPLATE_ID,
  environment: 'production',
  release: { ...canary, arm: 'canary' },
  sessionKey: 'call-4f2a9c',
  endedAt: LATER,
  status: 'completed',
  firstResponseMs: 640,
  score: 0.9,
};
const neverServed = {
  code: 'neverServed',
  templateId: TEMPLATE_ID,
  message: `Version 2 of ${template.name} with these agent versions has never been served by another environment`,
  release: canary,
};
const releaseRecord = {
  number: 3,
  environment: 'production',
  templateId: TEMPLATE_ID,
  action: 'canaryStarted',
  stable,
  canary: { ...canary, percent: 10 },
  by: actor,
  at: LATER,
  note: 'Shorter greeting for 10% of sessions',
  reason: null,
};
const promotionChange = {
  templateId: TEMPLATE_ID,
  templateName: template.name,
  from: stable,
  to: canary,
  fields: [{ field: 'idleTimeoutSeconds', before: 300, after: 120 }],
  agents: [
    {
      agentId: TRIAGE_ID,
      name: triage.name,
      fromVersion: 1,
      toVersion: 2,
      fields: [{ field: 'voice', before: 'alloy', after: 'verse' }],
    },
  ],
  endedCanary: null,
};

const triageSpec = {
  name: 'Triage Agent',
  instructions: triage.instructions,
  model: 'gpt-4.1-mini',
  voice: 'alloy',
  tools: [],
  modality: 'audio_only',
  panels: [],
  handoffTargets: ['Coding Expert'],
  variables: [],
};
const coderSpec = {
  ...triageSpec,
  name: 'Coding Expert',
  instructions: coder.instructions,
  tools: ['run_tests'],
  modality: 'audio_screenshare',
  panels: ['coding_ide'],
  handoffTargets: [],
  variables: [],
};
const interviewSpec = {
  name: 'Default Coding Interview',
  description: template.description,
  agents: ['Triage Agent', 'Coding Expert'],
  initialAgent: 'Triage Agent',
  modalityProfile: 'audio_screenshare',
  enabledPanels: ['coding_ide'],
  maxDurationSeconds: 3600,
  idleTimeoutSeconds: 300,
};
const bundle = {
  format: 'switchboard.bundle/v1',
  agents: [coderSpec, triageSpec],
  sessionTemplates: [interviewSpec],
};

const webhook = {
  id: '4b3a2c1d-0e9f-4a8b-9c7d-6e5f4a3b2c1d',
  url: 'https://hooks.example.com/switchboard',
  description: 'Purge the runtime cache when production changes',
  eventTypes: ['sessionTemplate.*', 'deployment.*'],
  enabled: true,
  disabledReason: null,
  createdAt: AT,
  updatedAt: AT,
};
const attempt = {
  at: LATER,
  statusCode: 200,
  durationMs: 84,
  error: null,
  responseBody: 'ok',
};
const delivery = {
  id: '6c5d4e3f-2a1b-4c0d-8e9f-7a6b5c4d3e2f',
  eventId: auditEvent.id,
  type: auditEvent.action,
  sequence: auditEvent.sequence,
  status: 'delivered',
  attempts: [attempt],
  nextAttemptAt: null,
};
const WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwq1m0cLmFH8A=';

export const EXAMPLES: Record<string, unknown> = {
  Webhook: webhook,
  WebhookList: { items: [webhook] },
  CreateWebhookInput: { url: webhook.url, description: webhook.description, eventTypes: webhook.eventTypes },
  UpdateWebhookInput: { enabled: true },
  CreatedWebhook: { webhook, secret: WEBHOOK_SECRET },
  WebhookSecret: { secret: WEBHOOK_SECRET },
  DeliveryAttempt: attempt,
  Delivery: delivery,
  DeliveryPage: { items: [delivery], nextCursor: null },
  RecoverInput: { since: AT },
  DeliveryQueued: { deliveryId: delivery.id },
  RecoveredCount: { count: 3 },
  Organization: organization,
  User: admin,
  Session: { user: admin, organization },
  AuthResult: {
    accessToken: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxYjJjIn0.c2lnbmF0dXJl',
    user: admin,
    organization,
  },
  MemberList: { items: [admin, member] },
  Agent: triage,
  AgentPage: { items: [coder, triage], nextCursor: null },
  AgentList: { items: [triage, coder] },
  SessionAgent: { ...triage, renderedInstructions: triage.instructions },
  Variable: {
    name: 'candidate_name',
    type: 'string',
    required: true,
    default: null,
    description: 'How the agents address the candidate',
  },
  VariableInput: { name: 'language', type: 'enum', enumValues: ['en', 'de'], default: 'en' },
  SessionTemplateList: { items: [template] },
  Catalog: DEFAULT_CATALOG,
  SessionTemplate: template,
  SessionTemplatePage: { items: [template], nextCursor: null },
  SignupInput: {
    email: 'admin@example.com',
    password: 'switchboard-demo',
    fullName: 'Demo Admin',
    organizationName: 'Test Organization',
  },
  LoginInput: { email: 'admin@example.com', password: 'switchboard-demo' },
  AddMemberInput: {
    email: 'member@example.com',
    password: 'switchboard-demo',
    fullName: 'Demo Member',
    role: 'member',
  },
  UpdateMemberInput: { role: 'admin' },
  CreateAgentInput: {
    name: 'Coding Expert',
    instructions: coder.instructions,
    modality: 'audio_screenshare',
    panels: ['coding_ide'],
    tools: ['run_tests'],
  },
  UpdateAgentInput: { voice: 'verse', version: 1 },
  CreateSessionTemplateInput: {
    name: 'Default Coding Interview',
    description: template.description,
    agentIds: [TRIAGE_ID, CODER_ID],
    initialAgentId: TRIAGE_ID,
    modalityProfile: 'audio_screenshare',
    enabledPanels: ['coding_ide'],
    maxDurationSeconds: 3600,
    idleTimeoutSeconds: 300,
  },
  UpdateSessionTemplateInput: { idleTimeoutSeconds: 120, version: 1 },
  ChangeActor: actor,
  FieldChange: templateRevision.changes[0],
  SessionTemplateRevision: templateRevision,
  SessionTemplateRevisionPage: { items: [templateRevision], nextCursor: null },
  AgentRevision: agentRevision,
  AgentRevisionPage: { items: [agentRevision], nextCursor: null },
  RestoreInput: { toVersion: 1, version: 2 },
  AuditEvent: auditEvent,
  AuditEventPage: { items: [auditEvent], nextCursor: null },
  ApiKey: apiKey,
  ApiKeyList: { items: [apiKey] },
  CreateApiKeyInput: {
    name: 'Session runtime (production)',
    scope: 'read',
    expiresAt: null,
    environment: 'production',
  },
  Environment: environment,
  EnvironmentList: {
    items: [
      { ...environment, id: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', name: 'production', followsLatest: true },
      environment,
    ],
  },
  CreateEnvironmentInput: { name: 'staging', followsLatest: false },
  UpdateEnvironmentInput: { followsLatest: false },
  Release: stable,
  CanaryRelease: { ...canary, percent: 10 },
  Deployment: deployment,
  DeploymentPage: { items: [deployment], nextCursor: null },
  DeployInput: {
    templateVersion: 2,
    canaryPercent: 10,
    guard: guardSettings,
    note: 'Shorter greeting for 10% of sessions',
    version: 2,
  },
  PromoteInput: { from: 'staging', dryRun: true },
  PromotionChange: promotionChange,
  PromotionPlan: { dryRun: true, applied: false, changes: [promotionChange], warnings: [neverServed] },
  ReleaseWarning: neverServed,
  ServedRelease: { stable, canary: { ...canary, percent: 10 } },
  DeploymentChange: { ...deployment, warnings: [neverServed] },
  ReleaseDryRun: {
    plan: { dryRun: true, applied: false, changes: [promotionChange], warnings: [neverServed] },
    warnings: [neverServed],
  },
  DeploymentChangeOrPlan: { ...deployment, warnings: [] },
  EnvironmentOrPlan: environment,
  RollbackInput: { note: 'v2 drops calls', version: 3 },
  RampCanaryInput: { percent: 25, version: 3 },
  GuardSettings: guardSettings,
  Guard: guard,
  DeployedCanary: deployment.canary,
  Outcome: outcome,
  OutcomeRelease: outcome.release,
  ReportOutcomesInput: {
    outcomes: [
      outcome,
      {
        ...outcome,
        sessionKey: 'call-77b1e0',
        status: 'failed',
        errorCode: 'llm_timeout',
        firstResponseMs: undefined,
      },
    ],
  },
  OutcomesAccepted: { accepted: 2 },
  ArmMetrics: armMetrics(canary, 214, 4, 690),
  MetricsPoint: {
    minute: '2026-11-29T09:41:00.000Z',
    arm: 'canary',
    sessions: 12,
    failed: 0,
    firstResponseP95Ms: 671.2,
    meanScore: 0.84,
  },
  DeploymentMetrics: {
    since: AT,
    arms: {
      stable: armMetrics(stable, 1930, 31, 612),
      canary: armMetrics(canary, 214, 4, 690),
      latest: null,
    },
    series: [
      {
        minute: '2026-11-29T09:41:00.000Z',
        arm: 'stable',
        sessions: 104,
        failed: 2,
        firstResponseP95Ms: 601.5,
        meanScore: 0.81,
      },
      {
        minute: '2026-11-29T09:41:00.000Z',
        arm: 'canary',
        sessions: 12,
        failed: 0,
        firstResponseP95Ms: 671.2,
        meanScore: 0.84,
      },
    ],
  },
  ReleaseRecord: releaseRecord,
  ReleaseRecordPage: { items: [releaseRecord], nextCursor: null },
  Served: {
    at: LATER,
    items: [
      { templateId: TEMPLATE_ID, templateName: template.name, stable, canary: { ...canary, percent: 10 } },
    ],
  },
  CreatedApiKey: { apiKey, secret: 'sbk_Q2x9vT3mK8pL1nB4cV7xZ0aS5dF6gH9jK2lM3nB4vC5' },
  SessionConfig: sessionConfig,
  SessionConfigOverrides: { maxDurationSeconds: 1800 },
  SessionConfigInput: {
    overrides: { maxDurationSeconds: 1800 },
    environment: 'production',
    sessionKey: 'call-4f2a9c',
  },
  AgentSpec: coderSpec,
  TemplateSpec: interviewSpec,
  Bundle: bundle,
  AgentSpecInput: { name: 'Note Taker', instructions: 'Keep notes of the session.', panels: ['notepad'] },
  TemplateSpecInput: interviewSpec,
  BundleInput: bundle,
  ImportInput: { bundle, dryRun: true, prune: false },
  ImportPlan: {
    dryRun: true,
    applied: false,
    changes: [
      { kind: 'agent', name: 'Coding Expert', action: 'unchanged', fields: [] },
      { kind: 'agent', name: 'Triage Agent', action: 'update', fields: ['voice'] },
      { kind: 'sessionTemplate', name: 'Default Coding Interview', action: 'create', fields: [] },
    ],
  },
  Error: {
    error: {
      code: 'BAD_REQUEST',
      message: 'Invalid session template: panels not provided by any agent of the set: whiteboard',
      details: { unsupportedPanels: ['whiteboard'] },
    },
  },
};
