import { profileCovers } from '@switchboard/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Call,
  caller,
  createTenant,
  driverName,
  holdAgentLock,
  type Response,
  startServer,
  type TestServer,
} from './server';

/**
 * Simultaneous writes: every response is 2xx, 404 or 409 (never 5xx), checked one by one, and
 * every active template satisfies every rule afterwards.
 */
let server: TestServer;
let admin: Call;
beforeAll(async () => {
  server = await startServer();
  admin = caller(server, 'rest', (await createTenant(server, 'Races')).adminToken);
});
afterAll(() => server?.close());

const ROUNDS = 20;

function statusesOf(responses: Response[]): number[] {
  return responses.map((response) => response.status);
}

function expectOnly(responses: Response[], allowed: number[]) {
  for (const response of responses) {
    if (!allowed.includes(response.status)) {
      throw new Error(
        `expected one of ${allowed.join(', ')}, got ${response.status} ${JSON.stringify(response.body)}`,
      );
    }
  }
}

async function everyPage(procedure: string): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const page: Response = await admin(procedure, { limit: 100, ...(cursor ? { cursor } : {}) });
    expect(page.status).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return items;
}

/** Every active template's agents are active, its profile covers them, its panels are provided. */
async function expectEveryTemplateValid() {
  const agents = new Map((await everyPage('agents.list')).map((agent) => [agent.id, agent]));
  for (const template of await everyPage('sessionTemplates.list')) {
    const members = template.agentIds.map((id: string) => agents.get(id));
    expect(members.every(Boolean), `template ${template.name} lists a deleted agent`).toBe(true);
    for (const agent of members) {
      expect(
        profileCovers(template.modalityProfile, agent.modality),
        `${template.name} covers ${agent.name}`,
      ).toBe(true);
    }
    const provided = new Set(members.flatMap((agent: { panels: string[] }) => agent.panels));
    for (const panel of template.enabledPanels)
      expect(provided.has(panel), `${template.name}: ${panel}`).toBe(true);
  }
  const agentIds = new Set(agents.keys());
  for (const agent of agents.values()) {
    for (const target of agent.handoffTargets)
      expect(agentIds.has(target), `${agent.name} hands off`).toBe(true);
  }
}

const agent = async (name: string, extra: Record<string, unknown> = {}) =>
  (await admin('agents.create', { name, instructions: 'i', ...extra })).body;

describe(`simultaneous writes of one resource (${driverName})`, () => {
  it('template update (a rename, or a rule field) racing its delete: 200/404 and 204, never 5xx', async () => {
    const a = await agent('Race agent', { panels: ['notepad'] });
    for (let round = 0; round < ROUNDS; round++) {
      const template = (await admin('sessionTemplates.create', { name: `Racing ${round}`, agentIds: [a.id] }))
        .body;
      const change = round % 2 ? { name: `Renamed ${round}` } : { enabledPanels: ['notepad'] };
      const [updated, deleted, cloned] = await Promise.all([
        admin('sessionTemplates.update', { id: template.id, ...change }),
        admin('sessionTemplates.delete', { id: template.id }),
        admin('sessionTemplates.clone', { id: template.id }),
      ]);
      expectOnly([updated], [200, 404]);
      expect(deleted.status).toBe(204);
      expectOnly([cloned], [201, 404]);
      expect((await admin('sessionTemplates.get', { id: template.id })).status).toBe(404);
    }
  });

  it('agent update racing its delete: 200/404/409 and 204/404/409, never 5xx', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const target = await agent(`Target ${round}`);
      const raced = await agent(`Raced ${round}`);
      const changes = [
        { name: `Renamed ${round}` },
        { modality: 'audio_camera' },
        { handoffTargets: [target.id] },
      ];
      const responses = await Promise.all([
        admin('agents.update', { id: raced.id, ...changes[round % 3] }),
        admin('agents.delete', { id: raced.id }),
        admin('agents.delete', { id: target.id }),
      ]);
      expectOnly([responses[0]!], [200, 400, 404]);
      expectOnly(responses.slice(1), [204, 409]);
    }
    await expectEveryTemplateValid();
  });

  it('of several simultaneous deletes of one agent exactly one is 204, the rest 404', async () => {
    const doomed = await agent('Deleted once');
    const responses = await Promise.all(
      Array.from({ length: 6 }, () => admin('agents.delete', { id: doomed.id })),
    );
    expect(statusesOf(responses).sort()).toEqual([204, 404, 404, 404, 404, 404]);
  });

  it('of several updates with one version exactly one wins, on agents as on templates', async () => {
    const raced = await agent('Versioned race');
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        admin('agents.update', {
          id: raced.id,
          version: 1,
          ...(i % 2 ? { name: `N${i}` } : { panels: ['notepad'] }),
        }),
      ),
    );
    expectOnly(responses, [200, 409]);
    expect(statusesOf(responses).filter((status) => status === 200)).toHaveLength(1);
  });
});

describe(`the rules hold under simultaneous template and agent writes (${driverName})`, () => {
  it('template writes racing agent changes, in both orders, leave every active template valid', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const screen = await agent(`Screen ${round}`, {
        modality: 'audio_screenshare',
        panels: ['coding_ide'],
      });
      const plain = await agent(`Plain ${round}`, { panels: ['notepad'] });
      const template = (
        await admin('sessionTemplates.create', {
          name: `Rules ${round}`,
          agentIds: [plain.id],
          enabledPanels: ['notepad'],
        })
      ).body;
      const templateWrites = [
        admin('sessionTemplates.create', {
          name: `Rules new ${round}`,
          agentIds: [screen.id],
          modalityProfile: 'audio_screenshare',
          enabledPanels: ['coding_ide'],
        }),
        admin('sessionTemplates.update', {
          id: template.id,
          agentIds: [plain.id, screen.id],
          modalityProfile: 'audio_screenshare',
        }),
      ];
      const agentWrites = [
        admin('agents.update', { id: screen.id, modality: 'audio_camera', panels: [] }),
        admin('agents.update', { id: plain.id, panels: [] }),
      ];
      const responses = await Promise.all(
        round % 2 ? [...templateWrites, ...agentWrites] : [...agentWrites, ...templateWrites],
      );
      expectOnly(responses, [200, 201, 400, 409]);
    }
    await expectEveryTemplateValid();
  });

  it('two agents of one template dropping the panel they share: the template keeps a provider', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const x = await agent(`X ${round}`, { panels: ['whiteboard'] });
      const y = await agent(`Y ${round}`, { panels: ['whiteboard'] });
      await admin('sessionTemplates.create', {
        name: `Shared ${round}`,
        agentIds: [x.id, y.id],
        enabledPanels: ['whiteboard'],
      });
      const responses = await Promise.all([
        admin('agents.update', { id: x.id, panels: [] }),
        admin('agents.update', { id: y.id, panels: [] }),
      ]);
      expectOnly(responses, [200, 409]);
      expect(statusesOf(responses).sort()).toEqual([200, 409]);
    }
    await expectEveryTemplateValid();
  });

  it('two agents naming each other as handoff targets at once both succeed; a target deleted meanwhile is never left dangling', async () => {
    for (let round = 0; round < ROUNDS / 2; round++) {
      const a = await agent(`Mutual A ${round}`);
      const b = await agent(`Mutual B ${round}`);
      const mutual = await Promise.all([
        admin('agents.update', { id: a.id, handoffTargets: [b.id] }),
        admin('agents.update', { id: b.id, handoffTargets: [a.id] }),
      ]);
      expect(statusesOf(mutual)).toEqual([200, 200]);

      const target = await agent(`Doomed ${round}`);
      const [pointed, deleted] = await Promise.all([
        admin('agents.update', { id: a.id, handoffTargets: [b.id, target.id] }),
        admin('agents.delete', { id: target.id }),
      ]);
      expectOnly([pointed], [200, 400]);
      expectOnly([deleted], [204, 409]);
      expect(pointed.status === 200).not.toBe(deleted.status === 204);
    }
    await expectEveryTemplateValid();
  });
});

describe.runIf(process.env.DATABASE_URL)(
  'writes that share no row never wait for each other (PostgreSQL)',
  () => {
    it('while one agent is locked, writes about other agents and renames finish; a write about it waits', async () => {
      const held = await agent('Held');
      const free = await agent('Free');
      const renamed = (await admin('sessionTemplates.create', { name: 'Rename me', agentIds: [held.id] }))
        .body;
      const lock = await holdAgentLock(server.database.url!, held.id);
      try {
        let waiting = true;
        const blocked = admin('sessionTemplates.create', { name: 'Waits', agentIds: [held.id] }).finally(
          () => {
            waiting = false;
          },
        );
        const unrelated = await Promise.all([
          admin('sessionTemplates.create', { name: 'Free template', agentIds: [free.id] }),
          admin('sessionTemplates.update', { id: renamed.id, name: 'Renamed while held' }),
          admin('agents.update', { id: free.id, name: 'Free renamed' }),
        ]);
        expect(statusesOf(unrelated)).toEqual([201, 200, 200]);
        expect(waiting).toBe(true);
        await lock.release();
        expect((await blocked).status).toBe(201);
      } finally {
        await lock.release();
      }
    });
  },
);
