import type {
  AuthResult,
  CreateAgentInput,
  CreateSessionTemplateInput,
  SwitchboardClient,
} from '@switchboard/client';
import { connect, errorCode, reasonOf, unreachable } from './client';

/**
 * The demo data, created through the typed client only (no database access), so it seeds a
 * deployed instance as well as a local one. Idempotent: what exists is found, not created again.
 */
export const DEMO_ORGANIZATION = 'Test Organization';
export const DEMO_PASSWORD = 'switchboard-demo';
export const DEMO_TEMPLATE = 'Default Coding Interview';

export const DEMO_AGENTS = {
  triage: {
    name: 'Triage Agent',
    instructions: 'Greet the candidate, confirm who they are, and hand over to the coding expert.',
    modality: 'audio_only',
    panels: [],
  },
  coder: {
    name: 'Coding Expert',
    instructions: 'Run a pair-programming exercise in the shared IDE while watching the shared screen.',
    modality: 'audio_screenshare',
    panels: ['coding_ide'],
  },
} as const satisfies Record<string, CreateAgentInput>;

export interface SeedOptions {
  url: string;
  adminEmail: string;
  adminPassword: string;
  memberEmail: string;
  memberPassword: string;
}

export interface SeedStep {
  what: string;
  name: string;
  id: string;
  created: boolean;
}

export interface SeedResult {
  steps: SeedStep[];
  /** The member's password, when the seed set it or checked that it works. */
  memberPasswordWorks: boolean;
}

/** A failure the seed explains in one line (the command exits non-zero with it). */
export class SeedError extends Error {}

async function step<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof SeedError) throw error;
    throw new SeedError(`${what} failed: ${reasonOf(error)}`);
  }
}

function sessionSteps(session: AuthResult, created: boolean): SeedStep[] {
  const { organization, user } = session;
  return [
    { what: 'organization', name: organization.name, id: organization.id, created },
    { what: 'admin', name: user.email, id: user.id, created },
  ];
}

/** Logs in as the demo admin, signing up (with the demo organization) when the email is new. */
async function adminSession(options: SeedOptions, steps: SeedStep[]) {
  const anonymous = connect(options.url);
  const credentials = { email: options.adminEmail, password: options.adminPassword };
  try {
    const session = await anonymous.auth.login.mutate(credentials);
    steps.push(...sessionSteps(session, false));
    return session;
  } catch (error) {
    if (unreachable(error)) {
      throw new SeedError(`cannot reach the server at ${options.url} (${(error as Error).message})`);
    }
    if (errorCode(error) !== 'UNAUTHORIZED') throw new SeedError(`admin login failed: ${reasonOf(error)}`);
  }
  try {
    const session = await anonymous.auth.signup.mutate({
      ...credentials,
      fullName: 'Demo Admin',
      organizationName: DEMO_ORGANIZATION,
    });
    steps.push(...sessionSteps(session, true));
    return session;
  } catch (error) {
    if (errorCode(error) === 'CONFLICT') {
      throw new SeedError(`admin login failed: wrong password for ${options.adminEmail}`);
    }
    throw new SeedError(`admin signup failed: ${reasonOf(error)}`);
  }
}

async function findOrCreateAgent(api: SwitchboardClient, input: CreateAgentInput, steps: SeedStep[]) {
  const page = await step(`listing agents`, () => api.agents.list.query({ search: input.name, limit: 100 }));
  const found = page.items.find((agent) => agent.name === input.name);
  const agent =
    found ?? (await step(`creating agent "${input.name}"`, () => api.agents.create.mutate(input)));
  steps.push({ what: 'agent', name: agent.name, id: agent.id, created: !found });
  return agent;
}

export async function seed(options: SeedOptions): Promise<SeedResult> {
  const steps: SeedStep[] = [];
  const session = await adminSession(options, steps);
  const api = connect(options.url, session.accessToken);

  const members = await step('listing members', () => api.organization.listMembers.query());
  const memberEmail = options.memberEmail.trim().toLowerCase();
  const existing = members.items.find((user) => user.email === memberEmail);
  let memberPasswordWorks = true;
  if (existing) {
    steps.push({ what: 'member', name: existing.email, id: existing.id, created: false });
    memberPasswordWorks = await connect(options.url)
      .auth.login.mutate({ email: memberEmail, password: options.memberPassword })
      .then(() => true)
      .catch(() => false);
  } else {
    const member = await step(`adding member ${memberEmail}`, () =>
      api.organization.addMember.mutate({
        email: memberEmail,
        password: options.memberPassword,
        fullName: 'Demo Member',
        role: 'member',
      }),
    );
    steps.push({ what: 'member', name: member.email, id: member.id, created: true });
  }

  const triage = await findOrCreateAgent(api, DEMO_AGENTS.triage, steps);
  const coder = await findOrCreateAgent(api, DEMO_AGENTS.coder, steps);

  const templates = await step('listing session templates', () =>
    api.sessionTemplates.list.query({ search: DEMO_TEMPLATE, limit: 100 }),
  );
  const foundTemplate = templates.items.find((template) => template.name === DEMO_TEMPLATE);
  const template: CreateSessionTemplateInput = {
    name: DEMO_TEMPLATE,
    description: 'A triage agent greets the candidate, then a coding expert runs the exercise in the IDE.',
    agentIds: [triage.id, coder.id],
    initialAgentId: triage.id,
    modalityProfile: 'audio_screenshare',
    enabledPanels: ['coding_ide'],
    maxDurationSeconds: 3600,
    idleTimeoutSeconds: 300,
  };
  const saved =
    foundTemplate ??
    (await step(`creating session template "${DEMO_TEMPLATE}"`, () =>
      api.sessionTemplates.create.mutate(template),
    ));
  steps.push({ what: 'session template', name: saved.name, id: saved.id, created: !foundTemplate });
  return { steps, memberPasswordWorks };
}
