import { randomBytes } from 'node:crypto';

/** Demo data for load runs, created through the REST API. */
async function api(url: string, method: string, route: string, token: string | undefined, body?: unknown) {
  const response = await fetch(url + route, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the API's JSON, read by field name
  const json = (await response.json()) as Record<string, any>;
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

export interface Seeded {
  token: string;
  /** The organization's admin, to sign in to the dashboard. */
  email: string;
  password: string;
  organizationId: string;
  agentIds: string[];
  templateIds: string[];
  /** A template of all 3 agents, for the session config. */
  runtimeTemplateId: string;
}

/** One organization, 3 agents and `count` templates, through the API (8 requests at a time). */
export async function seedThroughApi(url: string, count: number): Promise<Seeded> {
  const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
  const password = 'bench-password';
  const signup = await api(url, 'POST', '/api/v1/auth/signup', undefined, {
    email,
    password,
    organizationName: 'Bench',
  });
  const token = signup.accessToken as string;
  const agents = [];
  // Their instructions use 5 typed variables between them, as a runtime personalises a session.
  for (const [name, modality, panels, instructions, variables] of [
    [
      'Triage',
      'audio_only',
      [],
      'Greet {{candidate_name}}, who applied for {{role}}.',
      [
        { name: 'candidate_name', type: 'string', required: true },
        { name: 'role', type: 'string', required: true },
      ],
    ],
    [
      'Coder',
      'audio_screenshare',
      ['coding_ide'],
      'Pair in {{language}} at level {{level}}.',
      [
        { name: 'language', type: 'enum', enumValues: ['typescript', 'python', 'go'], default: 'typescript' },
        { name: 'level', type: 'number', default: 3 },
      ],
    ],
    [
      'Coach',
      'audio_camera',
      ['whiteboard'],
      'Coach, remote: {{remote}}.',
      [{ name: 'remote', type: 'boolean', default: false }],
    ],
  ] as const) {
    agents.push(
      await api(url, 'POST', '/api/v1/agents', token, { name, instructions, modality, panels, variables }),
    );
  }
  const agentIds = agents.map((agent) => agent.id as string);
  const templateIds: string[] = [];
  for (let next = 0; next < count; ) {
    const batch = Array.from({ length: Math.min(8, count - next) }, (_, i) => next + i);
    next += batch.length;
    const created = await Promise.all(
      batch.map((i) =>
        api(url, 'POST', '/api/v1/session-templates', token, templateBody(agentIds, `Template ${i}`)),
      ),
    );
    templateIds.push(...created.map((template) => template.id as string));
  }
  // The runtime's case: a template of all 3 agents, read whole at every session start.
  const runtime = await api(url, 'POST', '/api/v1/session-templates', token, {
    name: 'Runtime (3 agents)',
    agentIds,
    modalityProfile: 'audio_camera_screenshare',
    enabledPanels: ['coding_ide', 'whiteboard'],
  });
  return {
    token,
    email,
    password,
    organizationId: signup.organization.id,
    agentIds,
    templateIds,
    runtimeTemplateId: runtime.id as string,
  };
}

/** Values for the 5 variables of the runtime template's agents, as a runtime sends them. */
export const VARIABLE_VALUES = {
  candidate_name: 'Ada Lovelace',
  role: 'Staff engineer',
  language: 'python',
  level: 4,
  remote: true,
};

export function templateBody(agentIds: string[], name: string) {
  return {
    name,
    agentIds: agentIds.slice(0, 2),
    initialAgentId: agentIds[0],
    modalityProfile: 'audio_screenshare',
    enabledPanels: ['coding_ide'],
    maxDurationSeconds: 3600,
    idleTimeoutSeconds: 300,
  };
}
