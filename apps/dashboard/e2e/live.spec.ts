import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';
import { checkPage, PASSWORD, signIn } from './helpers';

/**
 * Change events in the dashboard: another admin's save shows on an open page the moment it
 * commits, and the webhooks page sends a test event and shows its delivery.
 */
const BASE = `http://127.0.0.1:${Number(process.env.E2E_PORT ?? 4173)}`;

async function api(method: string, url: string, token: string | null, body?: unknown) {
  const response = await fetch(BASE + url, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

test("another admin's save shows on the open template at once, with a reload", async ({ browser }) => {
  const login = await api('POST', '/api/v1/auth/login', null, {
    email: 'admin@example.com',
    password: PASSWORD,
  });
  const colleague = `colleague-${Date.now()}@example.com`;
  const added = await api('POST', '/api/v1/organization/members', login.body.accessToken, {
    email: colleague,
    password: PASSWORD,
    fullName: 'Grace Colleague',
    role: 'admin',
  });
  expect(added.status).toBe(201);

  const mine = await browser.newContext();
  const theirs = await browser.newContext();
  const page = await mine.newPage();
  const other = await theirs.newPage();
  await signIn(page);
  await signIn(other, colleague);
  for (const tab of [page, other]) {
    await tab.getByRole('link', { name: 'Default Coding Interview', exact: true }).click();
    await expect(tab.getByRole('heading', { level: 1, name: 'Default Coding Interview' })).toBeVisible();
  }
  await other.getByLabel('Description').fill('Edited by a colleague.');
  await other.getByRole('button', { name: 'Save changes' }).click();
  await expect(other.getByText(/^Version \d+ · updated/)).toBeVisible();
  // Their own page says nothing of their own save; mine says it at once.
  const notice = page.getByRole('status').filter({ hasText: 'Changed by Grace Colleague just now' });
  await expect(notice).toBeVisible({ timeout: 3_000 });
  await expect(other.getByText(/Changed by .* just now/)).toHaveCount(0);
  await checkPage(page, 'live-notice');
  await notice.getByRole('button', { name: 'Reload' }).click();
  await expect(page.getByLabel('Description')).toHaveValue('Edited by a colleague.');
  await expect(notice).toHaveCount(0);
  // The history updated itself too.
  await expect(page.getByRole('region', { name: 'History' })).toContainText('Grace Colleague');
  await mine.close();
  await theirs.close();
});

test('the webhooks page adds an endpoint, shows its secret once, sends a test and shows the delivery', async ({
  page,
}) => {
  const received: string[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push(body);
      res.writeHead(200).end('thanks');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  try {
    await signIn(page);
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Webhooks' })).toBeVisible();
    // A URL the contract refuses is shown on its field.
    await page.getByLabel('URL').fill('ftp://example.com/hook');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await expect(page.getByLabel('URL')).toHaveAttribute('aria-invalid', 'true');
    await page.getByLabel('URL').fill(url);
    await page.getByLabel('Description').fill('CI cache purge');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await expect(page.getByLabel(`Secret of ${url}`)).toHaveValue(/^whsec_/);
    await checkPage(page, 'webhooks');
    await page.getByRole('button', { name: 'I have stored it' }).click();
    const endpoint = page.getByRole('list', { name: 'Webhook endpoints' }).getByRole('listitem').first();
    await endpoint.getByRole('button', { name: 'Send a test event' }).click();
    const deliveries = page.getByRole('region', { name: `Deliveries to ${url}` });
    await expect(deliveries.getByRole('row').filter({ hasText: 'webhook.test' })).toContainText('delivered', {
      timeout: 10_000,
    });
    await expect(deliveries).toContainText('200 in');
    expect(received.some((body) => JSON.parse(body).type === 'webhook.test')).toBe(true);
    await checkPage(page, 'webhook-deliveries');
  } finally {
    receiver.close();
  }
});

test('the open audit log shows a change made elsewhere at once, without a reload', async ({ page }) => {
  const login = await api('POST', '/api/v1/auth/login', null, {
    email: 'admin@example.com',
    password: PASSWORD,
  });
  await signIn(page);
  await page.getByRole('link', { name: 'Audit log' }).first().click();
  const log = page.getByRole('table');
  await expect(log.getByRole('row').nth(1)).toBeVisible();
  const name = `Made elsewhere ${Date.now()}`;
  const created = await api('POST', '/api/v1/agents', login.body.accessToken, {
    name,
    instructions: 'Answers while the audit log is open.',
  });
  expect(created.status).toBe(201);
  await expect(log.getByRole('row').filter({ hasText: name })).toBeVisible({ timeout: 3_000 });
});
