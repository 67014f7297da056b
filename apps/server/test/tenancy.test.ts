import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restOperations } from '../src/http/rest/routes';
import {
  caller,
  createTenant,
  driverName,
  type Response,
  requestProcedures,
  startServer,
  type Tenant,
  type TestServer,
  transports,
  uniqueEmail,
} from './server';

/**
 * Roles and tenancy as a matrix over every procedure of the router: anonymous, member, admin and
 * another organization's admin. A procedure missing from `cases` fails the first test, so a new
 * procedure cannot be forgotten.
 */
let server: TestServer;
let tenant: Tenant;
let other: Tenant;
beforeAll(async () => {
  server = await startServer();
  tenant = await createTenant(server, 'Tenant');
  other = await createTenant(server, 'Other');
  const otherAdmin = caller(server, 'rest', other.adminToken);
  const agent = await otherAdmin('agents.create', { name: 'Theirs', instructions: 'i' });
  await otherAdmin('sessionTemplates.create', { name: 'Theirs', agentIds: [agent.body.id] });
});
afterAll(() => server?.close());

type Input = Record<string, unknown> | undefined;
interface Case {
  /** A fresh input for one call (deletes consume what they delete). */
  input: () => Promise<Input>;
  /** What another organization's admin gets: its own data (`own`), or a status. */
  otherOrganization: 'own' | 400 | 404;
  /** For lists: the field of the page whose items must not include the tenant's. */
  list?: 'items';
  /** For lookups by id: another organization gets none of the tenant's (`items` is empty). */
  none?: 'items';
}

async function newAgent() {
  const res = await caller(
    server,
    'rest',
    tenant.adminToken,
  )('agents.create', {
    name: 'Matrix agent',
    instructions: 'i',
    modality: 'audio_screenshare',
    panels: ['coding_ide'],
  });
  return res.body as { id: string };
}
async function newTemplate() {
  const agent = await newAgent();
  const res = await caller(
    server,
    'rest',
    tenant.adminToken,
  )('sessionTemplates.create', {
    name: 'Matrix template',
    agentIds: [agent.id],
    modalityProfile: 'audio_screenshare',
    enabledPanels: ['coding_ide'],
  });
  return res.body as { id: string };
}

/** An environment of the tenant's by name, created when it is missing (a manual one: deploys go there). */
async function environmentNamed(name: string) {
  await caller(server, 'rest', tenant.adminToken)('environments.create', { name });
  return name;
}
/** A new template deployed to the tenant's `matrix` environment, with a canary when asked. */
async function deployedTemplate(canary = false) {
  const template = await newTemplate();
  const admin = caller(server, 'rest', tenant.adminToken);
  const environment = await environmentNamed('matrix');
  await admin('deployments.deploy', { environment, templateId: template.id });
  if (canary) {
    // A canary is another release than the stable: the template changes first.
    await admin('sessionTemplates.update', { id: template.id, idleTimeoutSeconds: 301 });
    await admin('deployments.deploy', { environment, templateId: template.id, canaryPercent: 5 });
  }
  return { environment, templateId: template.id };
}
/** A new template deployed to `matrix` twice (version 1, then 2): something to roll back to. */
async function redeployedTemplate() {
  const deployed = await deployedTemplate();
  const admin = caller(server, 'rest', tenant.adminToken);
  await admin('sessionTemplates.update', { id: deployed.templateId, idleTimeoutSeconds: 301 });
  await admin('deployments.deploy', deployed);
  return deployed;
}
let environments = 0;
/** A webhook endpoint of the tenant's (its deliveries go nowhere reachable). */
async function newWebhook() {
  const created = await caller(
    server,
    'rest',
    tenant.adminToken,
  )('webhooks.create', { url: 'http://127.0.0.1:9/unreachable', eventTypes: ['webhook.created'] });
  return created.body.webhook as { id: string };
}

const cases: Record<string, Case> = {
  'auth.signup': {
    input: async () => ({ email: uniqueEmail(), password: 'password123', organizationName: 'Fresh' }),
    otherOrganization: 'own',
  },
  'auth.login': {
    input: async () => {
      const email = uniqueEmail();
      await caller(
        server,
        'rest',
        tenant.adminToken,
      )('organization.addMember', {
        email,
        password: 'password123',
        role: 'member',
      });
      return { email, password: 'password123' };
    },
    otherOrganization: 'own',
  },
  'auth.me': { input: async () => undefined, otherOrganization: 'own' },
  'organization.listMembers': { input: async () => undefined, otherOrganization: 'own', list: 'items' },
  'organization.addMember': {
    input: async () => ({ email: uniqueEmail(), password: 'password123', role: 'member' }),
    otherOrganization: 'own',
  },
  'organization.updateMember': {
    input: async () => ({ id: tenant.memberId, role: 'member' }),
    otherOrganization: 404,
  },
  'agents.create': { input: async () => ({ name: 'New', instructions: 'i' }), otherOrganization: 'own' },
  'agents.list': { input: async () => ({}), otherOrganization: 'own', list: 'items' },
  'agents.get': { input: async () => ({ id: (await newAgent()).id }), otherOrganization: 404 },
  'agents.getMany': {
    input: async () => ({ ids: [(await newAgent()).id] }),
    otherOrganization: 'own',
    none: 'items',
  },
  'sessionTemplates.getMany': {
    input: async () => ({ ids: [(await newTemplate()).id] }),
    otherOrganization: 'own',
    none: 'items',
  },
  'catalog.get': { input: async () => undefined, otherOrganization: 'own' },
  'agents.update': {
    input: async () => ({ id: (await newAgent()).id, name: 'Renamed' }),
    otherOrganization: 404,
  },
  'agents.delete': { input: async () => ({ id: (await newAgent()).id }), otherOrganization: 404 },
  'sessionTemplates.create': {
    input: async () => ({
      name: 'New',
      agentIds: [(await newAgent()).id],
      modalityProfile: 'audio_screenshare',
    }),
    otherOrganization: 400,
  },
  'sessionTemplates.list': { input: async () => ({}), otherOrganization: 'own', list: 'items' },
  'sessionTemplates.get': { input: async () => ({ id: (await newTemplate()).id }), otherOrganization: 404 },
  'sessionTemplates.update': {
    input: async () => ({ id: (await newTemplate()).id, name: 'Renamed' }),
    otherOrganization: 404,
  },
  'sessionTemplates.delete': {
    input: async () => ({ id: (await newTemplate()).id }),
    otherOrganization: 404,
  },
  'sessionTemplates.clone': { input: async () => ({ id: (await newTemplate()).id }), otherOrganization: 404 },
  'sessionTemplates.revisions': {
    input: async () => ({ id: (await newTemplate()).id }),
    otherOrganization: 404,
  },
  'sessionTemplates.revision': {
    input: async () => ({ id: (await newTemplate()).id, version: 1 }),
    otherOrganization: 404,
  },
  'sessionTemplates.restore': {
    input: async () => ({ id: (await newTemplate()).id, toVersion: 1 }),
    otherOrganization: 404,
  },
  'agents.revisions': { input: async () => ({ id: (await newAgent()).id }), otherOrganization: 404 },
  'agents.revision': {
    input: async () => ({ id: (await newAgent()).id, version: 1 }),
    otherOrganization: 404,
  },
  'agents.restore': {
    input: async () => ({ id: (await newAgent()).id, toVersion: 1 }),
    otherOrganization: 404,
  },
  'sessionTemplates.config': {
    input: async () => ({ id: (await newTemplate()).id }),
    otherOrganization: 404,
  },
  'apiKeys.create': { input: async () => ({ name: 'CI', scope: 'read' }), otherOrganization: 'own' },
  'apiKeys.list': { input: async () => undefined, otherOrganization: 'own', list: 'items' },
  'apiKeys.revoke': {
    input: async () => {
      const created = await caller(
        server,
        'rest',
        tenant.adminToken,
      )('apiKeys.create', { name: 'Gone', scope: 'read' });
      return { id: created.body.apiKey.id };
    },
    otherOrganization: 404,
  },
  'config.export': { input: async () => undefined, otherOrganization: 'own' },
  'config.import': {
    input: async () => ({ bundle: { format: 'switchboard.bundle/v1', agents: [], sessionTemplates: [] } }),
    otherOrganization: 'own',
  },
  'environments.list': { input: async () => undefined, otherOrganization: 'own' },
  'environments.create': {
    input: async () => ({ name: `matrix-${++environments}` }),
    otherOrganization: 'own',
  },
  'environments.update': {
    input: async () => ({ environment: await environmentNamed('matrix'), followsLatest: false }),
    otherOrganization: 404,
  },
  'environments.delete': {
    input: async () => ({ environment: await environmentNamed('doomed') }),
    otherOrganization: 404,
  },
  'deployments.list': {
    input: async () => ({ environment: await environmentNamed('matrix') }),
    otherOrganization: 404,
  },
  'deployments.deploy': {
    input: async () => ({
      environment: await environmentNamed('matrix'),
      templateId: (await newTemplate()).id,
    }),
    otherOrganization: 404,
  },
  'deployments.promoteCanary': { input: () => deployedTemplate(true), otherOrganization: 404 },
  'deployments.abortCanary': { input: () => deployedTemplate(true), otherOrganization: 404 },
  'deployments.undeploy': { input: () => deployedTemplate(), otherOrganization: 404 },
  'deployments.history': { input: () => deployedTemplate(), otherOrganization: 404 },
  'deployments.metrics': { input: () => deployedTemplate(), otherOrganization: 404 },
  'outcomes.report': {
    input: async () => {
      const { templateId, environment } = await deployedTemplate();
      return {
        outcomes: [
          {
            templateId,
            environment,
            release: { templateVersion: 1, agentVersions: {}, arm: 'stable' },
            endedAt: new Date().toISOString(),
            status: 'completed',
          },
        ],
      };
    },
    otherOrganization: 400,
  },
  'deployments.served': {
    input: async () => ({ environment: await environmentNamed('matrix') }),
    otherOrganization: 404,
  },
  'deployments.rollback': { input: () => redeployedTemplate(), otherOrganization: 404 },
  'deployments.rampCanary': {
    input: async () => ({ ...(await deployedTemplate(true)), percent: 30 }),
    otherOrganization: 404,
  },
  'deployments.promote': {
    input: async () => ({
      environment: await environmentNamed('matrix'),
      from: 'production',
      templateIds: [(await newTemplate()).id],
    }),
    otherOrganization: 404,
  },
  'webhooks.create': {
    input: async () => ({ url: 'https://hooks.example.com/in', eventTypes: ['*'] }),
    otherOrganization: 'own',
  },
  'webhooks.list': { input: async () => undefined, otherOrganization: 'own' },
  'webhooks.update': {
    input: async () => ({ id: (await newWebhook()).id, enabled: false }),
    otherOrganization: 404,
  },
  'webhooks.delete': { input: async () => ({ id: (await newWebhook()).id }), otherOrganization: 404 },
  'webhooks.rotateSecret': { input: async () => ({ id: (await newWebhook()).id }), otherOrganization: 404 },
  'webhooks.test': { input: async () => ({ id: (await newWebhook()).id }), otherOrganization: 404 },
  'webhooks.deliveries': { input: async () => ({ id: (await newWebhook()).id }), otherOrganization: 404 },
  'webhooks.retry': {
    input: async () => {
      const { id } = await newWebhook();
      const admin = caller(server, 'rest', tenant.adminToken);
      const queued = await admin('webhooks.test', { id });
      // A retry while an attempt runs is 409 inFlight: wait until the schedule (200, 400, 800 ms)
      // has run out and the delivery is failed, so no attempt can start under the matrix's calls.
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        const page = await admin('webhooks.deliveries', { id });
        if (page.body.items[0]?.status === 'failed') break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return { id, deliveryId: queued.body.deliveryId };
    },
    otherOrganization: 404,
  },
  'webhooks.recover': {
    input: async () => ({ id: (await newWebhook()).id, since: new Date(0).toISOString() }),
    otherOrganization: 404,
  },
  // Its events are the other organization's own (history.test.ts checks none of the tenant's shows).
  'audit.list': { input: async () => ({}), otherOrganization: 'own' },
};

const access = new Map(restOperations().map((operation) => [operation.procedure, operation.access]));
const succeeded = (res: Response) => res.status >= 200 && res.status < 300;

describe(`roles and tenancy matrix (${driverName})`, () => {
  it('has a case, and a REST route, for every procedure of the router', () => {
    const procedures = requestProcedures();
    expect(Object.keys(cases).sort()).toEqual(procedures);
    expect([...new Set(access.keys())].sort()).toEqual(procedures);
  });

  describe.each(transports)('over %s', (transport) => {
    for (const [procedure, spec] of Object.entries(cases)) {
      it(`${procedure} (${access.get(procedure)})`, async () => {
        const level = access.get(procedure);
        const anonymous = await caller(server, transport)(procedure, await spec.input());
        const member = await caller(server, transport, tenant.memberToken)(procedure, await spec.input());
        const admin = await caller(server, transport, tenant.adminToken)(procedure, await spec.input());
        const foreign = await caller(server, transport, other.adminToken)(procedure, await spec.input());

        expect(succeeded(admin), JSON.stringify(admin.body)).toBe(true);
        if (level === 'public') {
          expect(succeeded(anonymous)).toBe(true);
          expect(succeeded(member)).toBe(true);
        } else {
          expect(anonymous.status).toBe(401);
          expect(anonymous.body.error.code).toBe('UNAUTHORIZED');
          if (level === 'admin') {
            expect(member.status).toBe(403);
            expect(member.body.error.code).toBe('FORBIDDEN');
          } else {
            expect(succeeded(member)).toBe(true);
          }
        }
        if (spec.otherOrganization === 'own') {
          expect(succeeded(foreign), JSON.stringify(foreign.body)).toBe(true);
          if (spec.list) {
            const orgIds = (foreign.body[spec.list] as { organizationId: string }[]).map(
              (item) => item.organizationId,
            );
            expect(orgIds.length).toBeGreaterThan(0);
            expect(new Set(orgIds)).toEqual(new Set([other.organizationId]));
          }
          if (foreign.body?.organizationId) expect(foreign.body.organizationId).toBe(other.organizationId);
          if (spec.none) {
            expect(foreign.body[spec.none]).toEqual([]);
            expect(member.body[spec.none]).toHaveLength(1);
          }
        } else {
          expect(foreign.status, JSON.stringify(foreign.body)).toBe(spec.otherOrganization);
        }
      });
    }
  });
});
