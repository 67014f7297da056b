import type { AppRouter as AppRouterType, RouterInputs, RouterOutputs } from '@switchboard/server';
import {
  createTRPCClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
  type TRPCClient,
} from '@trpc/client';
import { FetchEventSource } from './fetchEventSource';

export type {
  AddMemberInput,
  Agent,
  AgentList,
  AgentPage,
  AgentRevision,
  ApiKey,
  ApiKeyList,
  ArmMetrics,
  AuditEvent,
  AuditEventPage,
  AuditListInput,
  AuthResult,
  Bundle,
  CanaryRelease,
  Catalog,
  ChangeActor,
  CreateAgentInput,
  CreateApiKeyInput,
  CreatedApiKey,
  CreateEnvironmentInput,
  CreateSessionTemplateInput,
  CreateWebhookInput,
  Delivery,
  DeliveryStatus,
  DeployedCanary,
  DeployInput,
  Deployment,
  DeploymentChange,
  DeploymentMetrics,
  DeploymentMetricsInput,
  DeploymentPage,
  Environment,
  EnvironmentList,
  ErrorBody,
  FieldChange,
  Guard,
  GuardSettings,
  ImportInput,
  ImportPlan,
  ListInput,
  LoginInput,
  MemberList,
  MetricsPoint,
  Organization,
  Outcome,
  OutcomeRelease,
  OutcomesAccepted,
  PromoteInput,
  PromotionChange,
  PromotionPlan,
  RampCanaryInput,
  Release,
  ReleaseArm,
  ReleaseDryRun,
  ReleaseRecord,
  ReleaseRecordPage,
  ReleaseWarning,
  ReportOutcomesInput,
  RestoreInput,
  RollbackInput,
  Served,
  ServedRelease,
  Session,
  SessionAgent,
  SessionConfig,
  SessionConfigInput,
  SessionConfigOverrides,
  SessionTemplate,
  SessionTemplateList,
  SessionTemplatePage,
  SessionTemplateRevision,
  SignupInput,
  UpdateAgentInput,
  UpdateEnvironmentInput,
  UpdateMemberInput,
  UpdateSessionTemplateInput,
  UpdateWebhookInput,
  User,
  Variable,
  VariableType,
  Webhook,
} from '@switchboard/contract';
export {
  AGENT_MODALITIES,
  AGENT_SETTABLE_FIELDS,
  type AgentModality,
  API_KEY_PREFIX,
  API_KEY_SCOPES,
  type ApiKeyScope,
  AUDIT_ACTIONS,
  AUDIT_RESOURCE_TYPES,
  type AuditAction,
  type AuditResourceType,
  DELIVERY_STATUSES,
  ERROR_CODES,
  ERROR_STATUS,
  type ErrorCode,
  GUARD_STATUSES,
  type GuardStatus,
  MODALITY_PROFILES,
  type ModalityProfile,
  OUTCOME_STATUSES,
  type OutcomeStatus,
  PANEL_TYPES,
  type PanelType,
  PROFILE_COVERAGE,
  profileCovers,
  profileMedia,
  RELEASE_RECORD_ACTIONS,
  RELEASE_WARNING_CODES,
  REVISION_ACTIONS,
  type ReleaseRecordAction,
  type ReleaseWarningCode,
  type RevisionAction,
  ROLES,
  type Role,
  TEMPLATE_SETTABLE_FIELDS,
} from '@switchboard/contract/enums';
export type { RouterInputs, RouterOutputs };

/** The server's router type (an interface, so declarations that use it stay small and nameable). */
export interface AppRouter extends AppRouterType {}

export type SwitchboardClient = TRPCClient<AppRouter>;

export interface ClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:3000`; the client adds `/trpc`. */
  url: string;
  /** A fixed access token ... */
  token?: string;
  /** ... or a function asked before every request (for tokens that change). */
  getToken?: () => string | undefined | Promise<string | undefined>;
  /** Extra headers for every request, or a function asked before each (e.g. an `x-request-id` of your own). */
  headers?: Record<string, string> | (() => Record<string, string>);
  /** A fetch implementation (defaults to the global one). */
  fetch?: typeof globalThis.fetch;
}

/**
 * The typed Switchboard client: every procedure of the API with its input and output types, and
 * its subscriptions (`api.events.onChange.subscribe({}, { onData })`, over server-sent events with
 * the same token, resuming after the last event on a dropped connection). Errors are
 * `TRPCClientError`s whose `data` carries the contract's `code`, `httpStatus` and `details`.
 */
export function createClient(options: ClientOptions): SwitchboardClient {
  const url = `${options.url.replace(/\/+$/, '')}/trpc`;
  const headers = async (): Promise<Record<string, string>> => {
    const token = options.getToken ? await options.getToken() : options.token;
    const extra = typeof options.headers === 'function' ? options.headers() : options.headers;
    return { ...extra, ...(token ? { authorization: `Bearer ${token}` } : {}) };
  };
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (operation) => operation.type === 'subscription',
        true: httpSubscriptionLink({
          url,
          EventSource: FetchEventSource,
          eventSourceOptions: () => ({ headers, ...(options.fetch ? { fetch: options.fetch } : {}) }),
        }),
        false: httpBatchLink({ url, ...(options.fetch ? { fetch: options.fetch } : {}), headers }),
      }),
    ],
  });
}

export { TRPCClientError } from '@trpc/client';
