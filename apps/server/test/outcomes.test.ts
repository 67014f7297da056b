import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { createTestDatabase, type TestDatabase } from '@switchboard/db/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ReadReport } from '../src/features/outcomes/digest';
import { type ArmFigures, judge, twoProportionZ, Z_CRITICAL } from '../src/features/outcomes/guard';
import { BUCKETS, bucketOf, bucketValue, p95 } from '../src/features/outcomes/histogram';
import { ReportReader } from '../src/features/outcomes/reportReader';
import { type ServerProcess, startProcess } from './processes';
import {
  type Call,
  caller,
  createTenant,
  driverName,
  expectError,
  expectStatus,
  http,
  MISSING_ID,
  ok,
  startServer,
  type TestServer,
  type Transport,
  transports,
} from './server';

/** Session outcomes and guarded canaries (docs/api.md "Session outcomes and guarded canaries"). */
let server: TestServer;
beforeAll(async () => {
  server = await startServer({ config: { guardIntervalMs: 200, outcomeFlushMs: 100 } });
});
afterAll(() => server?.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `read` until `done` holds of its answer, or fails after `deadlineMs`. */
async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  deadlineMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting; last: ${JSON.stringify(value)}`);
    await sleep(50);
  }
}

type Release = { templateVersion: number; agentVersions: Record<string, number> };

/**
 * An organization whose production serves a template: v1 as the stable and, when `canary` is given,
 * v2 as a canary at 50% with that guard.
 */
async function setup(transport: Transport, name: string, target: TestServer = server) {
  const tenant = await createTenant(target, `${name} ${transport}`);
  const admin = caller(target, transport, tenant.adminToken);
  const agent = expectStatus(
    await admin('agents.create', { name: 'Greeter', instructions: 'Hello' }),
    ok(transport, 201),
  );
  const template = expectStatus(
    await admin('sessionTemplates.create', { name: 'Interview', agentIds: [agent.id] }),
    ok(transport, 201),
  );
  expectStatus(await admin('environments.update', { environment: 'production', followsLatest: false }), 200);
  const at = { environment: 'production', templateId: template.id };
  const stable: Release = { templateVersion: 1, agentVersions: { [agent.id]: 1 } };
  const canaryRelease: Release = { templateVersion: 2, agentVersions: { [agent.id]: 1 } };
  const startCanary = async (guard: Record<string, unknown> | undefined, percent = 50) => {
    expectStatus(await admin('sessionTemplates.update', { id: template.id, idleTimeoutSeconds: 301 }), 200);
    return expectStatus(await admin('deployments.deploy', { ...at, canaryPercent: percent, guard }), 200);
  };
  /** `count` outcomes of one arm, `failed` of them failed, each with a first response of `ms(i)`. */
  const outcomes = (
    arm: 'stable' | 'canary',
    count: number,
    failed: number,
    ms: (i: number) => number | undefined = () => undefined,
    score?: (i: number) => number,
  ) =>
    Array.from({ length: count }, (_, i) => ({
      templateId: template.id,
      environment: 'production',
      release: { ...(arm === 'stable' ? stable : canaryRelease), arm },
      sessionKey: `s-${arm}-${i}`,
      endedAt: new Date().toISOString(),
      status: i < failed ? 'failed' : 'completed',
      ...(ms(i) === undefined ? {} : { firstResponseMs: ms(i) }),
      ...(score ? { score: score(i) } : {}),
    }));
  const report = async (batch: unknown[], by: Call = admin) => {
    for (let start = 0; start < batch.length; start += 1000) {
      expectStatus(
        await by('outcomes.report', { outcomes: batch.slice(start, start + 1000) }),
        ok(transport, 202),
      );
    }
  };
  const metrics = async () => expectStatus(await admin('deployments.metrics', at), 200);
  const deployment = async () =>
    (expectStatus(await admin('deployments.list', { environment: 'production' }), 200).items as any[]).find(
      (item) => item.templateId === template.id,
    );
  const history = async () => expectStatus(await admin('deployments.history', at), 200).items as any[];
  return {
    tenant,
    admin,
    agent,
    template,
    at,
    stable,
    canaryRelease,
    startCanary,
    outcomes,
    report,
    metrics,
    deployment,
    history,
  };
}

describe('the guard rule', () => {
  const arm = (sessions: number, failed: number, p95Ms: number | null = null): ArmFigures => ({
    sessions,
    failed,
    p95Ms,
  });
  const guard = {
    maxFailureRateIncrease: 0,
    maxFirstResponseP95IncreaseMs: null,
    minSessions: 200,
    bakeMinutes: 10,
  };

  it('breaches on failure rate only when significant: z on both sides of 1.645', () => {
    // 200 sessions each; the stable fails 20 (10%).
    expect(twoProportionZ(arm(200, 29), arm(200, 20))).toBeLessThan(Z_CRITICAL);
    expect(twoProportionZ(arm(200, 31), arm(200, 20))).toBeGreaterThan(Z_CRITICAL);
    expect(judge(guard, arm(200, 29), arm(200, 20), 0).status).toBe('watching');
    const breached = judge(guard, arm(200, 31), arm(200, 20), 0);
    expect(breached.status).toBe('breached');
    expect(breached.detail).toMatch(/15\.5% against the stable's 10\.0%.*z = 1\.65/);
    // Significant, but within the allowance.
    expect(judge({ ...guard, maxFailureRateIncrease: 0.06 }, arm(200, 31), arm(200, 20), 0).status).toBe(
      'watching',
    );
  });

  it('judges nothing below minSessions; inconclusive after 24 h; passes after the bake', () => {
    expect(judge(guard, arm(199, 199), arm(1000, 0), 0).status).toBe('watching');
    expect(judge(guard, arm(199, 199), arm(1000, 0), 24 * 3_600_000).status).toBe('inconclusive');
    expect(judge(guard, arm(200, 0), arm(1000, 0), 10 * 60_000 - 1).status).toBe('watching');
    expect(judge(guard, arm(200, 0), arm(1000, 0), 10 * 60_000).status).toBe('passed');
  });

  it('breaches on the first-response p95 past the allowed milliseconds', () => {
    const latency = { ...guard, maxFirstResponseP95IncreaseMs: 200 };
    expect(judge(latency, arm(200, 0, 700), arm(200, 0, 500), 0).status).toBe('watching');
    const breached = judge(latency, arm(200, 0, 701), arm(200, 0, 500), 0);
    expect(breached).toMatchObject({ status: 'breached' });
    expect(breached.detail).toMatch(/p95 701 ms against the stable's 500 ms/);
  });

  it('p95 from the histogram is within 5% of the exact one', () => {
    expect(bucketOf(600_000)).toBe(BUCKETS - 1);
    for (let ms = 1; ms <= 600_000; ms *= 1.37) {
      expect(Math.abs(bucketValue(bucketOf(ms)) - ms) / ms).toBeLessThan(0.05);
    }
    const times = Array.from({ length: 1000 }, (_, i) => 100 + ((i * 7919) % 1000) * 3.3);
    const histogram = new Array<number>(BUCKETS).fill(0);
    for (const ms of times) histogram[bucketOf(ms)]!++;
    const exact = times.toSorted((a, b) => a - b)[Math.ceil(0.95 * times.length) - 1]!;
    expect(Math.abs(p95(histogram)! - exact) / exact).toBeLessThan(0.05);
  });
});

describe.each(transports)(`session outcomes over %s on ${driverName}`, (transport) => {
  it('checks a whole batch first: one 400 names every bad entry, and nothing of it is counted', async () => {
    const { admin, template, outcomes, metrics } = await setup(transport, 'Validation');
    const foreign = await setup(transport, 'Validation other');
    const good = outcomes('stable', 3, 0)[0]!;
    const hourAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();
    const batch = [
      good,
      { ...good, status: 'crashed' },
      { ...good, firstResponseMs: 600_001 },
      { ...good, score: 1.5 },
      { ...good, templateId: MISSING_ID },
      { ...good, templateId: foreign.template.id },
      { ...good, environment: 'nowhere' },
      { ...good, endedAt: hourAgo(25) },
      { ...good, endedAt: hourAgo(-1 / 6) },
      { ...good, release: { ...good.release, arm: 'blue' } },
      { ...good, TEMPLATEID: template.id },
    ];
    const first = expectError(await admin('outcomes.report', { outcomes: batch }), 400, 'BAD_REQUEST');
    const paths = (first.details.issues as { path: (string | number)[] }[]).map((issue) =>
      issue.path.join('.'),
    );
    expect(paths).toEqual(
      expect.arrayContaining([
        'outcomes.1.status',
        'outcomes.2.firstResponseMs',
        'outcomes.3.score',
        'outcomes.9.release.arm',
        'outcomes.10.TEMPLATEID',
      ]),
    );
    // The shape is right; the references are not.
    const shaped = batch.slice(0, 1).concat(batch.slice(4, 9));
    const second = expectError(await admin('outcomes.report', { outcomes: shaped }), 400, 'BAD_REQUEST');
    expect(
      (second.details.issues as { path: (string | number)[] }[]).map((issue) => issue.path.join('.')),
    ).toEqual([
      'outcomes.1.templateId',
      'outcomes.2.templateId',
      'outcomes.3.environment',
      'outcomes.4.endedAt',
      'outcomes.5.endedAt',
    ]);
    expectError(await admin('outcomes.report', { outcomes: [] }), 400, 'BAD_REQUEST');
    expectError(
      await admin('outcomes.report', { outcomes: Array.from({ length: 1001 }, () => good) }),
      400,
      'BAD_REQUEST',
    );
    // Nothing was counted: one good report later, the stable has exactly it.
    expectStatus(await admin('outcomes.report', { outcomes: [good] }), ok(transport, 202));
    const after = await until(metrics, (m) => m.arms.stable.sessions > 0);
    await sleep(300);
    expect((await metrics()).arms.stable.sessions).toBe(1);
    expect(after.arms.stable.sessions).toBe(1);
  });

  it('any key and admins report; a member may not; a bound key only for its environment; no token is 401', async () => {
    const { tenant, admin, outcomes, report, metrics } = await setup(transport, 'Access');
    expectStatus(await admin('environments.create', { name: 'staging' }), ok(transport, 201));
    const key = async (extra: Record<string, unknown>) =>
      expectStatus(await admin('apiKeys.create', { name: 'k', scope: 'read', ...extra }), ok(transport, 201))
        .secret as string;
    const readKey = caller(server, transport, await key({}));
    const writeKey = caller(server, transport, await key({ scope: 'write' }));
    const productionKey = caller(server, transport, await key({ environment: 'production' }));
    const stagingKey = caller(server, transport, await key({ environment: 'staging' }));
    const batch = outcomes('stable', 2, 1);
    await report(batch, readKey);
    await report(batch, writeKey);
    await report(batch, productionKey);
    await report(batch, admin);
    expectError(await stagingKey('outcomes.report', { outcomes: batch }), 403, 'FORBIDDEN');
    expectError(
      await caller(server, transport, tenant.memberToken)('outcomes.report', { outcomes: batch }),
      403,
      'FORBIDDEN',
    );
    expectError(await caller(server, transport)('outcomes.report', { outcomes: batch }), 401, 'UNAUTHORIZED');
    const counted = await until(metrics, (m) => m.arms.stable.sessions >= 8);
    expect(counted.arms.stable).toMatchObject({ sessions: 8, failed: 4, failureRate: 0.5 });
    // Metrics: members and keys read them; another organization's template is 404.
    expectStatus(
      await caller(
        server,
        transport,
        tenant.memberToken,
      )('deployments.metrics', {
        environment: 'production',
        templateId: batch[0]!.templateId,
      }),
      200,
    );
    const other = await setup(transport, 'Access other');
    expectError(
      await other.admin('deployments.metrics', {
        environment: 'production',
        templateId: batch[0]!.templateId,
      }),
      404,
      'NOT_FOUND',
    );
    expectError(
      await stagingKey('deployments.metrics', {
        environment: 'production',
        templateId: batch[0]!.templateId,
      }),
      403,
      'FORBIDDEN',
    );
  });

  it('metrics are what was reported: per arm since it began to serve, and per minute', async () => {
    const { startCanary, outcomes, report, metrics, stable, canaryRelease } = await setup(
      transport,
      'Metrics',
    );
    await startCanary(undefined);
    const stableTimes = (i: number) => 200 + i * 2; // 200..598
    const canaryTimes = (i: number) => (i % 10 === 0 ? undefined : 1000 + i * 5);
    await report([
      ...outcomes('stable', 200, 10, stableTimes, (i) => (i % 2 ? 1 : 0.5)),
      ...outcomes('canary', 100, 25, canaryTimes),
    ]);
    const answer = await until(
      metrics,
      (m) => m.arms.stable.sessions === 200 && m.arms.canary?.sessions === 100,
    );
    const exactP95 = (times: number[]) =>
      times.toSorted((a, b) => a - b)[Math.ceil(0.95 * times.length) - 1]!;
    const stableExact = exactP95(Array.from({ length: 200 }, (_, i) => stableTimes(i)));
    const canaryExact = exactP95(
      Array.from({ length: 100 }, (_, i) => canaryTimes(i)).filter((ms): ms is number => ms !== undefined),
    );
    expect(answer.arms.stable).toMatchObject({
      release: stable,
      sessions: 200,
      failed: 10,
      failureRate: 0.05,
      meanScore: 0.75,
    });
    expect(answer.arms.canary).toMatchObject({
      release: canaryRelease,
      sessions: 100,
      failed: 25,
      failureRate: 0.25,
      meanScore: null,
    });
    expect(answer.arms.latest).toBeNull();
    expect(Math.abs(answer.arms.stable.firstResponseP95Ms - stableExact) / stableExact).toBeLessThan(0.05);
    expect(Math.abs(answer.arms.canary.firstResponseP95Ms - canaryExact) / canaryExact).toBeLessThan(0.05);
    const perArm = (arm: string) =>
      answer.series
        .filter((point: any) => point.arm === arm)
        .reduce((sum: number, point: any) => sum + point.sessions, 0);
    expect([perArm('stable'), perArm('canary')]).toEqual([200, 100]);
    expect(answer.series[0].minute).toMatch(/:00\.000Z$/);
    // A release no arm serves now is not counted in any arm.
    await report(
      outcomes('stable', 5, 5).map((outcome) => ({
        ...outcome,
        release: { ...canaryRelease, arm: 'stable' },
      })),
    );
    await sleep(400);
    expect((await metrics()).arms.stable.sessions).toBe(200);
  });

  it('a batch that mixes arms, releases and minutes counts each outcome in its own bucket', async () => {
    const { admin, at, agent, startCanary, outcomes, report, stable, canaryRelease } = await setup(
      transport,
      'Mixed',
    );
    await startCanary(undefined);
    const minuteOf = (ms: number) => new Date(Math.floor(ms / 60_000) * 60_000).toISOString();
    const now = Date.now();
    const ends = [now, now - 120_000, now - 240_000];
    // Neighbours differ in one thing each: the minute, the agents' versions (a release the stable
    // arm does not serve), the arm (the stable's release as a canary); an arm's outcomes of a
    // release it does not serve are never counted. Every other outcome spells the ids upper-case.
    const unserved: Release = { templateVersion: 1, agentVersions: { [agent.id]: 2 } };
    const pattern = [
      ['stable', stable, 0],
      ['stable', stable, 1],
      ['stable', unserved, 1],
      ['stable', stable, 1],
      ['canary', stable, 1],
      ['canary', canaryRelease, 1],
      ['canary', canaryRelease, 2],
    ] as const;
    // What each arm serves; the rest is never counted.
    const counted = (arm: string, release: Release) =>
      release === (arm === 'stable' ? stable : canaryRelease);
    const batch = Array.from({ length: 350 }, (_, i) => {
      const [arm, release, minute] = pattern[i % pattern.length]!;
      const agentVersions = Object.fromEntries(
        Object.entries(release.agentVersions).map(([id, version]) => [
          i % 2 ? id.toUpperCase() : id,
          version,
        ]),
      );
      return {
        ...outcomes(arm, 1, i % 5 === 0 ? 1 : 0)[0]!,
        release: { ...release, agentVersions, arm },
        endedAt: new Date(ends[minute]!).toISOString(),
      };
    });
    await report(batch);
    const since = new Date(now - 600_000).toISOString();
    const answer = await until(
      async () => expectStatus(await admin('deployments.metrics', { ...at, since }), 200),
      (m) => m.arms.stable.sessions === 150 && m.arms.canary?.sessions === 100,
    );
    const expected = new Map<string, { sessions: number; failed: number }>();
    batch.forEach((outcome, i) => {
      const [arm, release] = pattern[i % pattern.length]!;
      if (!counted(arm, release)) return;
      const key = `${minuteOf(Date.parse(outcome.endedAt))} ${outcome.release.arm}`;
      const counts = expected.get(key) ?? { sessions: 0, failed: 0 };
      counts.sessions++;
      if (outcome.status === 'failed') counts.failed++;
      expected.set(key, counts);
    });
    const seen = new Map(
      answer.series.map((point: any) => [
        `${point.minute} ${point.arm}`,
        { sessions: point.sessions, failed: point.failed },
      ]),
    );
    expect(seen).toEqual(expected);
  });

  it('a guard needs a canary and valid settings; the deployment shows it watching, and a ramp keeps it', async () => {
    const { admin, at, startCanary, deployment } = await setup(transport, 'Guard settings');
    expectError(
      await admin('deployments.deploy', { ...at, guard: { maxFailureRateIncrease: 0.1 } }),
      400,
      'BAD_REQUEST',
    );
    expectStatus(await admin('sessionTemplates.update', { id: at.templateId, idleTimeoutSeconds: 301 }), 200);
    for (const guard of [
      {},
      { maxFailureRateIncrease: 2 },
      { maxFailureRateIncrease: 0.1, minSessions: 5 },
      { maxFailureRateIncrease: 0.1, bakeMinutes: 1441 },
      { maxFailureRateIncrease: 0.1, maxFirstResponseP95IncreaseMs: 0 },
    ]) {
      expectError(await admin('deployments.deploy', { ...at, canaryPercent: 10, guard }), 400, 'BAD_REQUEST');
    }
    const deployed = await startCanary({ maxFailureRateIncrease: 0.02 }, 10);
    expect(deployed.canary.guard).toEqual({
      maxFailureRateIncrease: 0.02,
      maxFirstResponseP95IncreaseMs: null,
      minSessions: 200,
      bakeMinutes: 10,
      autoPromote: false,
      status: 'watching',
      checkedAt: null,
      detail: null,
    });
    const ramped = expectStatus(await admin('deployments.rampCanary', { ...at, percent: 30 }), 200);
    expect(ramped.canary).toMatchObject({
      percent: 30,
      guard: { maxFailureRateIncrease: 0.02, status: 'watching' },
    });
    // It is judged: checkedAt and the figures appear.
    const judged = await until(deployment, (d) => d.canary.guard.checkedAt !== null);
    expect(judged.canary.guard.detail).toMatch(/Waiting for 200 canary sessions/);
  });

  it('a breach of the failure rate aborts the canary, by the guard, with its figures', async () => {
    const { admin, startCanary, outcomes, report, deployment, history } = await setup(transport, 'Breach');
    await startCanary({ maxFailureRateIncrease: 0.05, minSessions: 100, bakeMinutes: 60 });
    await report([...outcomes('stable', 300, 6), ...outcomes('canary', 100, 20)]);
    const aborted = await until(deployment, (d) => d.canary === null);
    expect(aborted.stable.templateVersion).toBe(1);
    const [record] = await history();
    expect(record).toMatchObject({
      action: 'canaryAborted',
      by: { type: 'system', id: null, name: 'guard' },
    });
    expect(record.reason).toMatch(
      /Failure rate 20\.0% against the stable's 2\.0%.*100 canary and 300 stable sessions/,
    );
    const events = expectStatus(await admin('audit.list', { resourceType: 'deployment' }), 200)
      .items as any[];
    const changed = events.filter((event) => event.action === 'deployment.guardChanged');
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({
      actor: { type: 'system', name: 'guard' },
      guard: { status: 'breached' },
    });
    expect(events.filter((event) => event.action === 'deployment.canaryAborted')).toHaveLength(1);
  });

  it('a breach of the first-response p95 aborts the canary', async () => {
    const { startCanary, outcomes, report, deployment, history } = await setup(transport, 'Latency');
    await startCanary({
      maxFailureRateIncrease: 1,
      maxFirstResponseP95IncreaseMs: 200,
      minSessions: 50,
      bakeMinutes: 60,
    });
    await report([...outcomes('stable', 100, 0, () => 500), ...outcomes('canary', 50, 0, () => 900)]);
    await until(deployment, (d) => d.canary === null);
    expect((await history())[0].reason).toMatch(
      /First-response p95 \d+(\.\d)? ms against the stable's \d+(\.\d)? ms/,
    );
  });

  it('no breach below minSessions, nor without significance (z just under 1.645); just over, a breach', async () => {
    const few = await setup(transport, 'Few');
    await few.startCanary({ maxFailureRateIncrease: 0, minSessions: 50, bakeMinutes: 60 });
    await few.report([...few.outcomes('stable', 100, 0), ...few.outcomes('canary', 49, 49)]);
    const waiting = await until(few.deployment, (d) => /49 sessions/.test(d.canary.guard.detail ?? ''));
    expect(waiting.canary.guard.status).toBe('watching');

    const under = await setup(transport, 'Under');
    await under.startCanary({ maxFailureRateIncrease: 0, minSessions: 200, bakeMinutes: 60 });
    await under.report([...under.outcomes('stable', 200, 20), ...under.outcomes('canary', 200, 29)]);
    const kept = await until(under.deployment, (d) =>
      /canary 200 sessions/.test(d.canary.guard.detail ?? ''),
    );
    expect(kept.canary.guard.status).toBe('watching');

    const over = await setup(transport, 'Over');
    await over.startCanary({ maxFailureRateIncrease: 0, minSessions: 200, bakeMinutes: 60 });
    await over.report([...over.outcomes('stable', 200, 20), ...over.outcomes('canary', 200, 31)]);
    await until(over.deployment, (d) => d.canary === null);
    expect((await over.history())[0].reason).toMatch(/z = 1\.65 > 1\.645/);
  });

  it('passes after the bake and stays for a person to promote; with autoPromote it promotes itself', async () => {
    const passing = await setup(transport, 'Pass');
    await passing.startCanary({ maxFailureRateIncrease: 0.05, minSessions: 20, bakeMinutes: 0 });
    await passing.report([...passing.outcomes('stable', 100, 2), ...passing.outcomes('canary', 20, 0)]);
    const passed = await until(passing.deployment, (d) => d.canary.guard.status !== 'watching');
    expect(passed.canary.guard).toMatchObject({
      status: 'passed',
      detail: expect.stringMatching(/No breach after 0 min/),
    });
    expect(passed.canary.templateVersion).toBe(2);

    const auto = await setup(transport, 'Auto');
    await auto.startCanary({
      maxFailureRateIncrease: 0.05,
      minSessions: 20,
      bakeMinutes: 0,
      autoPromote: true,
    });
    await auto.report([...auto.outcomes('stable', 100, 2), ...auto.outcomes('canary', 20, 0)]);
    const promoted = await until(auto.deployment, (d) => d.canary === null);
    expect(promoted.stable.templateVersion).toBe(2);
    expect((await auto.history())[0]).toMatchObject({
      action: 'canaryPromoted',
      by: { type: 'system', name: 'guard' },
      reason: expect.stringMatching(/No breach after 0 min/),
    });
  });

  it('is inconclusive without minSessions after 24 h, and does nothing by itself', async () => {
    const { template, startCanary, outcomes, report, deployment } = await setup(transport, 'Inconclusive');
    await startCanary({ maxFailureRateIncrease: 0.05, minSessions: 100 });
    await report(outcomes('canary', 10, 10));
    // A canary that began 25 hours ago.
    await server.database.db.execute(
      `update deployments set canary_guard = jsonb_set(canary_guard, '{since}', to_jsonb((now() - interval '25 hours')::text)) where template_id = '${template.id}'` as never,
    );
    const found = await until(deployment, (d) => d.canary.guard.status !== 'watching');
    expect(found.canary).toMatchObject({ templateVersion: 2, guard: { status: 'inconclusive' } });
  });
});

describe(`outcomes across two instances on ${driverName}`, () => {
  it('outcomes reported through two instances count once each, and the guard acts once', async () => {
    const second = await startServer({
      database: server.database,
      config: { guardIntervalMs: 200, outcomeFlushMs: 100 },
    });
    try {
      const { admin, tenant, startCanary, outcomes, metrics, deployment, history } = await setup(
        'rest',
        'Two instances',
      );
      await startCanary({ maxFailureRateIncrease: 0.05, minSessions: 100, bakeMinutes: 60 });
      const viaSecond = caller(second, 'rest', tenant.adminToken);
      const statuses = await Promise.all([
        admin('outcomes.report', { outcomes: outcomes('stable', 150, 3) }),
        viaSecond('outcomes.report', { outcomes: outcomes('stable', 150, 3) }),
        admin('outcomes.report', { outcomes: outcomes('canary', 40, 0) }),
        viaSecond('outcomes.report', { outcomes: outcomes('canary', 40, 0) }),
      ]);
      expect(statuses.map((response) => response.status)).toEqual([202, 202, 202, 202]);
      const counted = await until(
        metrics,
        (m) => m.arms.stable.sessions === 300 && m.arms.canary.sessions === 80,
      );
      expect(counted.arms.stable.failed).toBe(6);
      // Now a breach, reported through both.
      await Promise.all([
        admin('outcomes.report', { outcomes: outcomes('canary', 30, 30) }),
        viaSecond('outcomes.report', { outcomes: outcomes('canary', 30, 30) }),
      ]);
      await until(deployment, (d) => d.canary === null);
      await sleep(1000);
      const records = await history();
      expect(records.filter((record) => record.action === 'canaryAborted')).toHaveLength(1);
      const events = expectStatus(await admin('audit.list', { resourceType: 'deployment' }), 200)
        .items as any[];
      expect(events.filter((event) => event.action === 'deployment.guardChanged')).toHaveLength(1);
    } finally {
      await second.close();
    }
  });
});

describe.runIf(Boolean(process.env.DATABASE_URL))('an instance killed after it flushed (PostgreSQL)', () => {
  let database: TestDatabase;
  let instance: ServerProcess | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    instance?.child.kill('SIGKILL');
    await database?.close();
  });

  it('loses none of what it accepted more than its flush interval (500 ms) before it died', async () => {
    const env = { DATABASE_URL: database.url!, JWT_SECRET: randomBytes(24).toString('hex') };
    instance = await startProcess(env);
    const target = { url: instance.url } as TestServer;
    const { startCanary, outcomes, report, at, tenant } = await setup('rest', 'Killed', target);
    await startCanary(undefined);
    await report([...outcomes('stable', 500, 5), ...outcomes('canary', 250, 0)]);
    await sleep(1000);
    instance.child.kill('SIGKILL');
    await instance.exited;
    const survivor = await startProcess(env);
    try {
      const read = await http(
        { url: survivor.url } as TestServer,
        'GET',
        `/api/v1/environments/production/deployments/${at.templateId}/metrics`,
        {
          token: tenant.adminToken,
        },
      );
      expect(read.status).toBe(200);
      expect([read.body.arms.stable.sessions, read.body.arms.canary.sessions]).toEqual([500, 250]);
    } finally {
      survivor.child.kill('SIGKILL');
    }
  });
});

describe(`outcome reports read on a worker thread (REST, ${driverName})`, () => {
  afterEach(() => vi.restoreAllMocks());

  /** What each read of the report reader answered: the worker's reading, or null (the event loop's). */
  function watchReads() {
    const read = vi.spyOn(ReportReader.prototype, 'read');
    return async () => Promise.all(read.mock.results.map((result) => result.value));
  }

  it('the worker reads a report; what it leaves gets the event loop’s answer, the same as over tRPC', async () => {
    const { tenant, outcomes, metrics, startCanary } = await setup('rest', 'Worker');
    const trpcAdmin = caller(server, 'trpc', tenant.adminToken);
    await startCanary(undefined);
    const reads = watchReads();
    const post = (body: unknown) =>
      http(server, 'POST', '/api/v1/session-outcomes', { token: tenant.adminToken, body });
    expect((await post({ outcomes: outcomes('stable', 40, 4) })).status).toBe(202);
    const [first] = await reads();
    expect(first?.input).toBeInstanceOf(ReadReport);
    expect(first?.hash).toBeNull();
    await until(metrics, (m) => m.arms.stable.sessions === 40 && m.arms.stable.failed === 4);

    // Left to the event loop, each answered exactly as before (and as tRPC answers the same input).
    const good = outcomes('stable', 1, 0)[0]!;
    const refused = [
      { outcomes: [good, { ...good, status: 'crashed' }] },
      { outcomes: [good], extra: 1 },
      [good],
    ];
    for (const body of refused) {
      const overRest = await post(body);
      expect(overRest.status).toBe(400);
      if (!Array.isArray(body)) {
        const overTrpc = expectError(await trpcAdmin('outcomes.report', body), 400, 'BAD_REQUEST');
        expect(overRest.body.error.details.issues).toEqual(overTrpc.details.issues);
      }
    }
    const text = JSON.stringify({ outcomes: [good] });
    expect((await post(`{"__proto__":{"x":1},${text.slice(1)}`)).status).toBe(400);
    expect((await post(`${text.slice(0, -1)}`)).status).toBe(400);
    // A report the worker leaves for an escape is still counted, on the event loop.
    const escaped = text.replace('"completed"', '"\\u0063ompleted"');
    expect((await post(escaped)).status).toBe(202);
    expect((await reads()).slice(1)).toEqual(refused.map(() => null).concat([null, null, null]));
    await until(metrics, (m) => m.arms.stable.sessions === 41);
  });

  it('a key’s hash is the same from the worker and the event loop: a repeat spelt otherwise is replayed', async () => {
    const { tenant, outcomes, metrics, startCanary } = await setup('rest', 'Worker key');
    await startCanary(undefined);
    const reads = watchReads();
    const batch = outcomes('canary', 30, 3);
    const post = (body: string) =>
      http(server, 'POST', '/api/v1/session-outcomes', {
        token: tenant.adminToken,
        body,
        headers: { 'idempotency-key': 'report-1' },
      });
    // First upper-case ids, keys in another order; then as written, with an escape that leaves it
    // to the event loop.
    const respelt = batch.map(({ templateId, ...rest }) => ({
      ...Object.fromEntries(Object.entries(rest).reverse()),
      templateId: templateId.toUpperCase(),
    }));
    const first = await post(JSON.stringify({ outcomes: respelt }));
    expect(first.status).toBe(202);
    const second = await post(
      JSON.stringify({ outcomes: batch }).replace('"production"', '"\\u0070roduction"'),
    );
    expect(second.status).toBe(202);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const [byWorker, byEventLoop] = await reads();
    expect(byWorker?.hash).toEqual(expect.any(String));
    expect(byEventLoop).toBeNull();
    // Another report under the key is refused, whoever read it.
    const other = await post(JSON.stringify({ outcomes: batch.slice(1) }));
    expect(other.status).toBe(409);
    await until(metrics, (m) => m.arms.canary?.sessions === 30);
    await sleep(300);
    expect((await metrics()).arms.canary.sessions).toBe(30);
  });

  it('a worker killed mid-read leaves its reports to the event loop, and the next read starts another', async () => {
    const { tenant, outcomes, metrics, startCanary } = await setup('rest', 'Worker killed');
    await startCanary(undefined);
    const reads = watchReads();
    // The worker is terminated as each report is handed to it: every report still counts, once.
    const posted = vi.spyOn(Worker.prototype, 'postMessage').mockImplementation(function (this: Worker) {
      void this.terminate();
    });
    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        http(server, 'POST', '/api/v1/session-outcomes', {
          token: tenant.adminToken,
          body: { outcomes: outcomes('stable', 10, 1) },
        }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual([202, 202, 202, 202, 202]);
    expect(posted).toHaveBeenCalled();
    expect(await reads()).toEqual([null, null, null, null, null]);
    posted.mockRestore();
    const after = await http(server, 'POST', '/api/v1/session-outcomes', {
      token: tenant.adminToken,
      body: { outcomes: outcomes('stable', 10, 1) },
    });
    expect(after.status).toBe(202);
    expect((await reads())[5]?.input).toBeInstanceOf(ReadReport);
    await until(metrics, (m) => m.arms.stable.sessions === 60 && m.arms.stable.failed === 6);
  });

  it('holds at most 32 reports at once (the rest are read by the event loop), and replaces a worker past its deadline', async () => {
    const valid = JSON.stringify({
      outcomes: [
        {
          templateId: MISSING_ID,
          environment: 'production',
          release: { templateVersion: 1, agentVersions: {}, arm: 'stable' },
          endedAt: new Date().toISOString(),
          status: 'completed',
        },
      ],
    });
    const reader = new ReportReader(console);
    try {
      const answers = await Promise.all(Array.from({ length: 40 }, () => reader.read(valid, null)));
      expect(answers.map((answer) => answer !== null)).toEqual(Array.from({ length: 40 }, (_, i) => i < 32));
      expect(answers[0]?.input).toEqual(new ReadReport(answers[0]!.input.digest));
      expect(answers[0]?.input.digest).toMatchObject({ count: 1, tooOld: [], tooNew: [] });
      // Once they are answered, it takes more again.
      expect(await reader.read(valid, 'POST /session-outcomes')).toMatchObject({ hash: expect.any(String) });
    } finally {
      await reader.close();
    }
    const hurried = new ReportReader({ error: () => {} }, 1);
    try {
      // A worker's start takes longer than 1 ms: the read overruns, and the event loop takes it.
      expect(await hurried.read(valid, null)).toBeNull();
      expect(hurried.readCount).toBe(0);
    } finally {
      await hurried.close();
    }
  });
});
