import { expect, type Page, test } from '@playwright/test';
import { checkPage, PASSWORD, signIn } from './helpers';

/**
 * A guarded canary (docs/api.md "Session outcomes and guarded canaries"): started from the dashboard
 * with a guard, watched with its outcomes against the stable's, then aborted by the guard itself
 * when the outcomes posted during the test breach it.
 */
const TEMPLATE = 'Default Coding Interview';
const base = `http://127.0.0.1:${Number(process.env.E2E_PORT ?? 4173)}`;

async function api(method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function adminToken(): Promise<string> {
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@example.com', password: PASSWORD }),
  }).then((response) => response.json());
  return login.accessToken;
}

// Production follows latest again after this file, as the other specs expect.
test.afterAll(async () => {
  await api('PUT', '/environments/production', await adminToken(), { followsLatest: true });
});

async function confirm(page: Page, title: RegExp, button: string) {
  const dialog = page.getByRole('alertdialog', { name: title });
  await dialog.getByRole('button', { name: button, exact: true }).click();
  await expect(dialog).toHaveCount(0);
}

test('a guarded canary, breached by the outcomes the runtime reports, is aborted by the guard with its figures', async ({
  page,
}) => {
  const token = await adminToken();
  await api('PUT', '/environments/production', token, { followsLatest: false });
  const templates = await api('GET', '/session-templates?limit=100', token);
  const template = templates.items.find((item: { name: string }) => item.name === TEMPLATE);
  const { secret: runtimeKey } = await api('POST', '/api-keys', token, {
    name: 'Runtime (guard spec)',
    scope: 'read',
    environment: 'production',
  });

  await signIn(page);
  await page.getByRole('link', { name: TEMPLATE, exact: true }).click();
  const header = (await page.getByText(/^Version \d+ · updated/).textContent()) ?? '';
  const stableVersion = Number(/^Version (\d+)/.exec(header)![1]);
  const next = stableVersion + 1;
  await page.getByLabel('Description').fill('A guarded change.');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText(new RegExp(`^Version ${next} · updated`))).toBeVisible();

  const production = page
    .getByRole('region', { name: 'Deployments' })
    .getByRole('listitem')
    .filter({ hasText: 'production' });
  await production.getByLabel('Canary share in production (%)').fill('50');
  await production.getByRole('button', { name: `Canary v${next} to 50%` }).click();
  const dialog = page.getByRole('alertdialog', {
    name: new RegExp(`Give version ${next} to 50% of production`),
  });
  // The guard is on by default; a setting out of range is shown on its field and holds the confirmation.
  await expect(dialog.getByLabel(/Watch the session outcomes/)).toBeChecked();
  const minSessions = dialog.getByLabel('Canary sessions before judging');
  await minSessions.fill('5');
  await expect(minSessions).toHaveAttribute('aria-invalid', 'true');
  await expect(dialog.getByText('A whole number, 10 to 100000')).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Start canary', exact: true })).toBeDisabled();
  await minSessions.fill('20');
  await dialog.getByLabel('Allowed rise in failure rate').fill('5');
  await dialog.getByLabel('Bake time').fill('60');
  await checkPage(page, 'guard-dialog');
  await confirm(page, new RegExp(`Give version ${next} to 50% of production`), 'Start canary');
  await expect(production).toContainText('canary 50%');
  await expect(production).toContainText('watching');

  // The runtime reports outcomes with the release its session config answered.
  const deployed = (await api('GET', '/environments/production/deployments', token)).items.find(
    (item: { templateId: string }) => item.templateId === template.id,
  );
  const releaseOf = (arm: 'stable' | 'canary') => ({
    templateVersion: deployed[arm].templateVersion,
    agentVersions: deployed[arm].agentVersions,
    arm,
  });
  const outcome = (arm: 'stable' | 'canary', i: number, failed: boolean, firstResponseMs: number) => ({
    templateId: template.id,
    environment: 'production',
    release: releaseOf(arm),
    sessionKey: `${arm}-${i}`,
    endedAt: new Date().toISOString(),
    status: failed ? 'failed' : 'completed',
    firstResponseMs,
  });
  const report = (outcomes: ReturnType<typeof outcome>[]) =>
    api('POST', '/session-outcomes', runtimeKey, { outcomes });
  await report([
    ...Array.from({ length: 60 }, (_, i) => outcome('stable', i, i < 1, 500 + i * 4)),
    ...Array.from({ length: 10 }, (_, i) => outcome('canary', i, false, 560 + i * 5)),
  ]);
  await expect(production.getByRole('row', { name: /canary/ })).toContainText('10');
  await expect(production.getByText(/Waiting for 20 canary sessions/)).toBeVisible();
  await checkPage(page, 'guard-watching');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: 'e2e/screenshots/guard-watching-phone.png', fullPage: true });
  await page.setViewportSize({ width: 1280, height: 720 });

  // Then a breach: half of the canary's sessions fail.
  await report(Array.from({ length: 30 }, (_, i) => outcome('canary', 10 + i, i % 2 === 0, 900)));
  await expect(production).not.toContainText('canary 50%', { timeout: 20_000 });
  await expect(production).toContainText(`Stable: version ${stableVersion}`);
  await production.getByText('Release history in production').click();
  const aborted = production.getByRole('row', { name: /Canary aborted/ }).first();
  await expect(aborted).toContainText('guard');
  await expect(aborted).toContainText(/Failure rate 3\d\.\d% against the stable's 1\.7%/);
  await checkPage(page, 'guard-breached');
});
