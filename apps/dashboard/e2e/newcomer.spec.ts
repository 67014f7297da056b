import { expect, type Page, test } from '@playwright/test';
import { checkPage, PASSWORD, signIn } from './helpers';

/**
 * Where a newcomer tripped (issue 33), each as a person meets it: the variables editor keeps each
 * row's own values and the focus, "Try it" reads the chosen environment and key (and the working
 * copy), a save that would break a template says which and why, a second tab hears of a change,
 * unsaved edits are not lost silently, instruction diffs show the words that changed, the
 * webhooks page fits a phone, "Failed since" is a day ago wherever the browser is, and Promote
 * takes the focus to its plan.
 */
const BASE = `http://127.0.0.1:${Number(process.env.E2E_PORT ?? 4173)}`;
const TEMPLATE = 'Default Coding Interview';

async function api(method: string, url: string, token: string | null, body?: unknown) {
  const response = await fetch(BASE + url, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

async function adminToken(): Promise<string> {
  const login = await api('POST', '/api/v1/auth/login', null, {
    email: 'admin@example.com',
    password: PASSWORD,
  });
  return login.body.accessToken;
}

const enumVariable = (name: string, values: string[]) => ({
  name,
  type: 'enum',
  enumValues: values,
  required: false,
  default: values[0],
});

/**
 * An environment of this file's own, deleted after each test with its deployments, so the specs
 * that promote from staging find only what they deployed there.
 */
const TRYOUT = 'tryout';
test.afterEach(async () => {
  await api('DELETE', `/api/v1/environments/${TRYOUT}`, await adminToken());
});

async function openTemplate(page: Page, name = TEMPLATE) {
  await page.getByRole('link', { name: 'Session templates' }).click();
  await page.getByRole('link', { name, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
}

test('moving or removing a variable keeps each row its own values, and the focus follows the variable', async ({
  page,
}) => {
  const token = await adminToken();
  const created = await api('POST', '/api/v1/agents', token, {
    name: `Tiered ${Date.now()}`,
    instructions: 'Serve {{tier}} customers in {{region}}.',
    variables: [enumVariable('tier', ['gold', 'silver']), enumVariable('region', ['eu', 'us'])],
  });
  expect(created.status).toBe(201);
  await signIn(page);
  await page.goto(`/app/agents/${created.body.id}`);
  const rows = page.getByRole('list', { name: 'Variables' }).getByRole('listitem');
  const values = (row: number) => rows.nth(row).getByLabel('Allowed values (comma-separated)');

  await page.getByRole('button', { name: 'Move region up' }).click();
  await expect(rows.nth(0).getByLabel('Name')).toHaveValue('region');
  await expect(values(0)).toHaveValue('eu, us');
  await expect(values(1)).toHaveValue('gold, silver');
  // The focus stays with region (its "up" is disabled at the top, so its "down").
  await expect(page.getByRole('button', { name: 'Move region down' })).toBeFocused();
  await values(0).fill('eu, us, apac');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText(/^Version 2 ·/)).toBeVisible();
  const saved = await api('GET', `/api/v1/agents/${created.body.id}`, token);
  expect(
    saved.body.variables.map((variable: { name: string; enumValues: string[] }) => [
      variable.name,
      variable.enumValues,
    ]),
  ).toEqual([
    ['region', ['eu', 'us', 'apac']],
    ['tier', ['gold', 'silver']],
  ]);

  // Removing the first: the other keeps its own values, and the focus lands on it.
  await page.getByRole('button', { name: 'Remove region' }).click();
  await expect(rows).toHaveCount(1);
  await expect(values(0)).toHaveValue('gold, silver');
  await expect(rows.nth(0).getByLabel('Name')).toBeFocused();
  // "Add a variable" comes before the rows: a few Tabs from the instructions, whatever the rows.
  await page.getByLabel('Instructions').focus();
  const add = page.getByRole('button', { name: 'Add a variable' });
  let tabs = 0;
  while (!(await add.evaluate((element) => element === document.activeElement)) && tabs < 40) {
    await page.keyboard.press('Tab');
    tabs++;
  }
  expect(tabs).toBeLessThanOrEqual(6);
  // Adding one: the focus is on its name, ready to type.
  await page.keyboard.press('Enter');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(1).getByLabel('Name')).toBeFocused();
  await checkPage(page, 'variables-editor-focus');
});

test('a server error about undeclared variables follows what is declared since', async ({ page }) => {
  await signIn(page);
  await page.goto('/app/agents/new');
  await page.getByLabel('Name', { exact: true }).fill(`Undeclared ${Date.now()}`);
  await page.getByLabel('Instructions').fill('Hello {{first}} and {{second}}.');
  await page.getByRole('button', { name: 'Create agent' }).click();
  const instructions = page.getByLabel('Instructions');
  await expect(instructions).toHaveAttribute('aria-invalid', 'true');
  const flagged = page.getByRole('status').filter({ hasText: 'not declared below' });
  await flagged.getByRole('button', { name: 'Declare first' }).click();
  // The refusal said both; only "second" is still undeclared, and nothing says "first" any more.
  await expect(page.getByText(/first/).filter({ hasText: /undeclared|not declared/i })).toHaveCount(0);
  await flagged.getByRole('button', { name: 'Declare second' }).click();
  await expect(instructions).not.toHaveAttribute('aria-invalid', 'true');
});

test('"Try it" renders for the chosen environment and session key, and for the working copy', async ({
  page,
}) => {
  const token = await adminToken();
  const stamp = Date.now();
  const agent = await api('POST', '/api/v1/agents', token, {
    name: `Greeter ${stamp}`,
    instructions: 'Hello.',
  });
  const template = await api('POST', '/api/v1/session-templates', token, {
    name: `Try ${stamp}`,
    agentIds: [agent.body.id],
  });
  expect(template.status).toBe(201);
  await api('POST', '/api/v1/environments', token, { name: TRYOUT });
  await api('PUT', '/api/v1/environments/production', token, { followsLatest: false });
  try {
    // The tryout environment gets a release that greets by name; production keeps the plain greeting.
    await api('PUT', `/api/v1/agents/${agent.body.id}`, token, {
      instructions: 'Hello {{candidate_name}}.',
      variables: [{ name: 'candidate_name', type: 'string', required: true }],
    });
    const deployed = await api(
      'PUT',
      `/api/v1/environments/${TRYOUT}/deployments/${template.body.id}`,
      token,
      {},
    );
    expect(deployed.status).toBe(200);
    // A draft nobody deployed: the working copy alone says "Welcome".
    await api('PUT', `/api/v1/agents/${agent.body.id}`, token, {
      instructions: 'Welcome {{candidate_name}}.',
    });

    await signIn(page);
    await page.goto(`/app/templates/${template.body.id}`);
    await page.getByRole('button', { name: 'Show what the runtime receives' }).click();
    await page.getByLabel('Environment', { exact: true }).selectOption(TRYOUT);
    await page.getByLabel('Session key').fill('call-7');
    const tryIt = page.getByRole('region', { name: /Try it/ });
    await tryIt.getByLabel('candidate_name (required)').fill('Ada');
    await tryIt.getByRole('button', { name: 'Render the instructions' }).click();
    await expect(tryIt.getByRole('list', { name: 'Rendered instructions' })).toContainText('Hello Ada.');
    await checkPage(page, 'try-it-environment');

    await page
      .getByLabel('Environment', { exact: true })
      .selectOption({ label: 'Working copy (not deployed)' });
    await expect(tryIt.getByRole('list', { name: 'Rendered instructions' })).toHaveCount(0);
    await tryIt.getByLabel('candidate_name (required)').fill('Grace');
    await tryIt.getByRole('button', { name: 'Render the instructions' }).click();
    await expect(tryIt.getByRole('list', { name: 'Rendered instructions' })).toContainText('Welcome Grace.');
    await tryIt.getByLabel('candidate_name (required)').fill('');
    await tryIt.getByRole('button', { name: 'Render the instructions' }).click();
    await expect(tryIt.getByRole('alert')).toHaveText('Required');
  } finally {
    await api('PUT', '/api/v1/environments/production', token, { followsLatest: true });
  }
});

test('a save that would give a template conflicting variables names the template and the variable', async ({
  page,
}) => {
  const token = await adminToken();
  const stamp = Date.now();
  const first = await api('POST', '/api/v1/agents', token, {
    name: `First ${stamp}`,
    instructions: 'Tier {{tier}}.',
    variables: [enumVariable('tier', ['gold', 'silver'])],
  });
  const second = await api('POST', '/api/v1/agents', token, {
    name: `Second ${stamp}`,
    instructions: 'Also {{tier}}.',
    variables: [enumVariable('tier', ['gold', 'silver'])],
  });
  const template = await api('POST', '/api/v1/session-templates', token, {
    name: `Tiers ${stamp}`,
    agentIds: [first.body.id, second.body.id],
  });
  expect(template.status).toBe(201);
  await signIn(page);
  await page.goto(`/app/agents/${first.body.id}`);
  const row = page.getByRole('list', { name: 'Variables' }).getByRole('listitem').first();
  await row.getByLabel('Allowed values (comma-separated)').fill('gold, silver, bronze');
  await page.getByRole('button', { name: 'Save changes' }).click();
  const refusal = page.getByRole('alert').filter({ hasText: 'would break' });
  await expect(refusal).toContainText(`Tiers ${stamp}`);
  await expect(refusal).toContainText('tier');
  await expect(page.getByText('cannot be deleted')).toHaveCount(0);
  await expect(refusal.getByRole('link', { name: `Tiers ${stamp}` })).toBeVisible();
  await checkPage(page, 'agent-save-conflict');
});

test('a change from another tab of the same admin shows on the open template', async ({ context }) => {
  const mine = await context.newPage();
  await signIn(mine);
  await openTemplate(mine);
  // The same person in another tab.
  const other = await context.newPage();
  await signIn(other);
  await other.goto(mine.url());
  await expect(other.getByRole('heading', { level: 1, name: TEMPLATE })).toBeVisible();
  await other.getByLabel('Description').fill(`Edited in another tab ${Date.now()}.`);
  await other.getByRole('button', { name: 'Save changes' }).click();
  await expect(other.getByText(/^Version \d+ · updated/)).toBeVisible();
  const notice = mine.getByRole('status').filter({ hasText: 'in another tab' });
  await expect(notice).toBeVisible({ timeout: 3_000 });
  // The tab that saved says nothing of its own save.
  await expect(other.getByRole('status').filter({ hasText: 'in another tab' })).toHaveCount(0);
  await checkPage(mine, 'live-notice-other-tab');
  await other.close();
});

test('unsaved edits are not lost silently: leaving asks first, and a deploy says they are not in it', async ({
  page,
}) => {
  const token = await adminToken();
  await api('POST', '/api/v1/environments', token, { name: TRYOUT });
  const agent = await api('POST', '/api/v1/agents', token, {
    name: `Plain ${Date.now()}`,
    instructions: 'Hi.',
  });
  const template = await api('POST', '/api/v1/session-templates', token, {
    name: `Unsaved ${Date.now()}`,
    agentIds: [agent.body.id],
  });
  await signIn(page);
  await page.goto(`/app/templates/${template.body.id}`);
  await page.getByLabel('Description').fill('Not saved yet.');
  // A template never deployed there: its row says so and offers the deploy, and nothing else.
  const row = page
    .getByRole('region', { name: 'Deployments' })
    .getByRole('listitem')
    .filter({ hasText: TRYOUT });
  await expect(row).toHaveText(/Not deployed: sessions here get 404\s*Deploy v1 to tryout$/);
  // A deploy from here ships what is saved, and says so.
  await page.getByRole('button', { name: `Deploy v1 to ${TRYOUT}` }).click();
  const dialog = page.getByRole('alertdialog', { name: `Deploy version 1 to ${TRYOUT}?` });
  await expect(dialog).toContainText('Unsaved edits in the form are not part of this release');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('link', { name: 'Agents', exact: true }).click();
  const leave = page.getByRole('alertdialog', { name: 'Leave without saving?' });
  await expect(leave).toBeVisible();
  await checkPage(page, 'unsaved-leave');
  await leave.getByRole('button', { name: 'Stay' }).click();
  await expect(page.getByLabel('Description')).toHaveValue('Not saved yet.');
  await page.getByRole('link', { name: 'Agents', exact: true }).click();
  await page
    .getByRole('alertdialog', { name: 'Leave without saving?' })
    .getByRole('button', { name: 'Leave' })
    .click();
  await expect(page.getByRole('heading', { level: 1, name: 'Agents' })).toBeVisible();
});

test('an instruction diff shows the words that changed with their lines around, not the whole text', async ({
  page,
}) => {
  const token = await adminToken();
  const stamp = Date.now();
  const lines = Array.from({ length: 60 }, (_, i) => `Line ${i + 1}: ask about the candidate's experience.`);
  const agent = await api('POST', '/api/v1/agents', token, {
    name: `Long ${stamp}`,
    instructions: lines.join('\n'),
  });
  const template = await api('POST', '/api/v1/session-templates', token, {
    name: `Diff ${stamp}`,
    agentIds: [agent.body.id],
  });
  expect(template.status).toBe(201);
  lines[29] = "Line 30: ask about the candidate's favourite experience.";
  await api('PUT', `/api/v1/agents/${agent.body.id}`, token, { instructions: lines.join('\n') });
  await signIn(page);
  await page.goto(`/app/agents/${agent.body.id}`);
  const history = page.getByRole('region', { name: 'History' });
  const latest = history.getByRole('listitem').first();
  await expect(latest.getByRole('insertion')).toHaveText('favourite ');
  // The lines around the change, not all sixty.
  await expect(latest).toContainText('Line 29');
  await expect(latest).not.toContainText('Line 5:');
  await checkPage(page, 'instruction-diff');

  // A release whose template did not change, only an agent, says so in its heading.
  await api('POST', '/api/v1/environments', token, { name: TRYOUT });
  await api('PUT', `/api/v1/environments/${TRYOUT}/deployments/${template.body.id}`, token, {
    templateVersion: 1,
  });
  await page.goto(`/app/templates/${template.body.id}`);
  await page.getByRole('button', { name: `Deploy v1 to ${TRYOUT}` }).click();
  const dialog = page.getByRole('alertdialog', { name: `Deploy version 1 to ${TRYOUT}?` });
  await expect(dialog).toContainText(`Diff ${stamp}: version 1, agents changed`);
  await expect(dialog).not.toContainText('version 1 → version 1');
  await expect(dialog.getByRole('insertion')).toHaveText('favourite ');
  const height = await dialog.evaluate((element) => element.scrollHeight);
  expect(height).toBeLessThan(900);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
});

test('the webhooks page fits a phone with deliveries open', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page);
  const token = await adminToken();
  const created = await api('POST', '/api/v1/webhooks', token, {
    url: 'https://hooks.example.com/phone',
    eventTypes: ['sessionTemplate.*'],
  });
  await api('POST', `/api/v1/webhooks/${created.body.webhook.id}/test`, token, {});
  await page.goto('/app/webhooks');
  const endpoint = page.getByRole('listitem').filter({ hasText: 'hooks.example.com/phone' });
  await endpoint.getByRole('button', { name: 'Show deliveries' }).click();
  await expect(endpoint.getByRole('table')).toBeVisible();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(390);
  await checkPage(page, 'webhooks-phone');
});

test.describe('in Los Angeles', () => {
  test.use({ timezoneId: 'America/Los_Angeles' });
  test('"Failed since" starts a day ago in the browser\'s own time, and attempts show their date', async ({
    page,
  }) => {
    const token = await adminToken();
    const created = await api('POST', '/api/v1/webhooks', token, {
      url: 'https://hooks.example.com/la',
      eventTypes: ['sessionTemplate.*'],
    });
    await api('POST', `/api/v1/webhooks/${created.body.webhook.id}/test`, token, {});
    await signIn(page);
    await page.goto('/app/webhooks');
    const endpoint = page.getByRole('listitem').filter({ hasText: 'hooks.example.com/la' });
    await endpoint.getByRole('button', { name: 'Show deliveries' }).click();
    const since = endpoint.getByLabel('Failed since');
    const value = await since.inputValue();
    const expected = await page.evaluate(() => {
      const day = new Date(Date.now() - 86_400_000);
      const pad = (n: number) => String(n).padStart(2, '0');
      return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}T${pad(day.getHours())}`;
    });
    expect(value.slice(0, 13)).toBe(expected);
    // Each attempt says its date as well as its time.
    await expect(endpoint.locator('time').first()).toContainText(/\b20\d\d\b/, { timeout: 20_000 });
  });
});

test('Promote takes the focus to its plan and says what it found', async ({ page }) => {
  const token = await adminToken();
  await api('POST', '/api/v1/environments', token, { name: TRYOUT });
  // A template at version 2 or more, pinned in production, whose version 1 the tryout serves.
  const agent = await api('POST', '/api/v1/agents', token, {
    name: `Older ${Date.now()}`,
    instructions: 'Hi.',
  });
  const template = await api('POST', '/api/v1/session-templates', token, {
    name: `Downgraded ${Date.now()}`,
    agentIds: [agent.body.id],
  });
  await api('PUT', `/api/v1/session-templates/${template.body.id}`, token, { description: 'Version 2' });
  await api('PUT', `/api/v1/environments/${TRYOUT}/deployments/${template.body.id}`, token, {
    templateVersion: 1,
  });
  await api('PUT', '/api/v1/environments/production', token, { followsLatest: false });
  try {
    await signIn(page);
    await page.goto('/app/promote');
    // Towards production by default, from the other environment.
    await expect(page.getByLabel('To', { exact: true })).toHaveValue('production');
    await expect(page.getByLabel('From', { exact: true })).toHaveValue(TRYOUT);
    await page.getByRole('button', { name: 'Show the plan' }).click();
    const heading = page.getByRole('heading', {
      level: 2,
      name: /What production will change|already serves/,
    });
    await expect(heading).toBeFocused();
    // Promoting would move the template back from version 2 to 1: said before anything is applied.
    const downgrade = page.getByRole('note').filter({ hasText: 'to a lower version' }).first();
    await expect(downgrade).toContainText(`${template.body.name}: version 2 back to version 1`);
    await page.getByRole('button', { name: 'Promote to production' }).click();
    const confirm = page.getByRole('alertdialog', { name: /Promote 1 template/ });
    await expect(confirm).toContainText('back to version 1');
    await expect(confirm.getByRole('button', { name: 'Promote', exact: true })).toHaveClass(/bg-red/);
    await checkPage(page, 'promote-downgrade');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
  } finally {
    await api('PUT', '/api/v1/environments/production', token, { followsLatest: true });
  }
});
