/**
 * `@switchboard/runtime` (docs/api.md "Runtime package"; issue targets in docs/performance.md):
 * - warm `sessionConfig` in one process, with 5 variables rendered: calls/s and p99;
 * - memory held for 1,000 templates of 3 agents;
 * - a change reaching 100 runtimes, half on each of two server instances: delay after commit.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createRuntime, type Runtime } from '@switchboard/runtime';
import { type Seeded, VARIABLE_VALUES } from './seed';

export interface RuntimeResult {
  warm: { callsPerSecond: number; p50Us: number; p99Us: number };
  memory: { templates: number; agentsEach: number; heapMb: number };
  propagation: {
    runtimes: number;
    instances: number;
    changes: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
  };
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMb = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1_048_576;
};
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;

export async function runtimeBench(urls: [string, string], seeded: Seeded): Promise<RuntimeResult> {
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${urls[0]}${path}`, {
      method,
      headers: { authorization: `Bearer ${seeded.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<{ id: string; secret: string }>;
  };
  const { secret: apiKey } = await call('POST', '/api/v1/api-keys', { name: 'Runtime bench', scope: 'read' });
  const templateId = seeded.runtimeTemplateId;

  // Warm answers: 5 variables rendered into 3 agents' instructions, a session key each.
  const warm = createRuntime({ url: urls[0], apiKey });
  await warm.sessionConfig(templateId, { variables: VARIABLE_VALUES });
  const input = (i: number) => ({ sessionKey: `call-${i}`, variables: VARIABLE_VALUES });
  for (let i = 0; i < 50_000; i++) await warm.sessionConfig(templateId, input(i));
  const calls = 300_000;
  const times = new Float64Array(calls);
  const began = performance.now();
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    await warm.sessionConfig(templateId, input(i));
    times[i] = performance.now() - start;
  }
  const seconds = (performance.now() - began) / 1000;
  const sortedTimes = [...times].sort((a, b) => a - b);
  await warm.close();
  const warmResult = {
    callsPerSecond: Math.round(calls / seconds),
    p50Us: Math.round(percentile(sortedTimes, 0.5) * 1000 * 10) / 10,
    p99Us: Math.round(percentile(sortedTimes, 0.99) * 1000 * 10) / 10,
  };
  console.log(
    `  runtime: ${warmResult.callsPerSecond} warm sessionConfig/s with 5 variables, p50 ${warmResult.p50Us} µs, p99 ${warmResult.p99Us} µs`,
  );

  // Memory: 1,000 templates of 3 agents held by one runtime.
  const ids: string[] = [];
  for (let next = 0; next < 1000; next += 10) {
    const created = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call('POST', '/api/v1/session-templates', {
          name: `Held ${next + i}`,
          agentIds: seeded.agentIds,
          modalityProfile: 'audio_camera_screenshare',
          enabledPanels: ['coding_ide', 'whiteboard'],
        }),
      ),
    );
    ids.push(...created.map((template) => template.id as string));
  }
  const before = heapMb();
  const holder = createRuntime({ url: urls[0], apiKey });
  for (let next = 0; next < ids.length; next += 20) {
    await Promise.all(ids.slice(next, next + 20).map((id) => holder.sessionConfig(id)));
  }
  const heldMb = Math.round((heapMb() - before) * 10) / 10;
  await holder.close();
  console.log(`  runtime: ${ids.length} templates of 3 agents held in ${heldMb} MB of heap`);

  // Propagation: 100 runtimes on two instances; each change timed from its commit to every runtime.
  const runtimes: Runtime[] = Array.from({ length: 100 }, (_, i) =>
    createRuntime({ url: urls[i % 2]!, apiKey }),
  );
  await Promise.all(runtimes.map((runtime) => runtime.sessionConfig(templateId)));
  await new Promise((resolve) => setTimeout(resolve, 1000)); // every stream open
  const delays: number[] = [];
  const changes = 20;
  for (let change = 0; change < changes; change++) {
    let committed = 0;
    const seen = runtimes.map(
      (runtime) =>
        new Promise<number>((resolve) => {
          const stop = runtime.onChange((notice) => {
            if (notice.templateId !== templateId || !committed) return;
            stop();
            resolve(performance.now() - committed);
          });
        }),
    );
    await call('PUT', `/api/v1/session-templates/${templateId}`, { description: `Change ${change}` });
    committed = performance.now();
    const timeout = new Promise<number[]>((resolve) => setTimeout(() => resolve([]), 10_000));
    const all = await Promise.race([Promise.all(seen), timeout]);
    if (all.length < runtimes.length) throw new Error(`change ${change} did not reach every runtime in 10 s`);
    delays.push(...all);
  }
  await Promise.all(runtimes.map((runtime) => runtime.close()));
  const sortedDelays = delays.sort((a, b) => a - b);
  const propagation = {
    runtimes: runtimes.length,
    instances: 2,
    changes,
    p50Ms: Math.round(percentile(sortedDelays, 0.5)),
    p99Ms: Math.round(percentile(sortedDelays, 0.99)),
    maxMs: Math.round(sortedDelays.at(-1)!),
  };
  console.log(
    `  runtime: a change reached ${runtimes.length} runtimes on 2 instances: p50 ${propagation.p50Ms} ms, p99 ${propagation.p99Ms} ms, max ${propagation.maxMs} ms`,
  );
  return { warm: warmResult, memory: { templates: ids.length, agentsEach: 3, heapMb: heldMb }, propagation };
}
