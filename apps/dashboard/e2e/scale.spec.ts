import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, test } from '@playwright/test';
import { signIn } from './helpers';

/**
 * The dashboard at a real customer's scale: an organization of 150 agents and 1,200 templates,
 * created through the API, where the two oldest agents are beyond the newest 100. Everything a
 * template or agent holds is found, shown by name and editable; nothing shows an id; every page fits
 * a phone.
 */
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const BASE = `http://127.0.0.1:${Number(process.env.E2E_PORT ?? 4173)}`;
const PASSWORD = 'a-good-password';
const EMAIL = `scale-${Date.now()}@example.com`;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

let token = '';
const ids: Record<string, string> = {};

async function api(method: string, url: string, body?: unknown) {
  const response = await fetch(`${BASE}/api/v1${url}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

test.beforeAll(async () => {
  const signup = await api('POST', '/auth/signup', {
    email: EMAIL,
    password: PASSWORD,
    organizationName: 'Scale Org',
  });
  token = signup.accessToken;
  for (const name of ['Oldest Alpha', 'Oldest Beta']) {
    ids[name] = (await api('POST', '/agents', { name, instructions: `You are ${name}.` })).id;
  }
  ids['Handoff Holder'] = (
    await api('POST', '/agents', {
      name: 'Handoff Holder',
      instructions: 'Hands over to the oldest.',
      handoffTargets: [ids['Oldest Alpha']],
    })
  ).id;
  ids['Uses the oldest'] = (
    await api('POST', '/session-templates', {
      name: 'Uses the oldest',
      agentIds: [ids['Oldest Alpha'], ids['Oldest Beta']],
    })
  ).id;
  // 147 more agents and 1,200 templates, newer than all of the above.
  const agents = Array.from({ length: 147 }, (_, i) => ({
    name: `Agent ${String(i).padStart(3, '0')}`,
    instructions: `Agent number ${i}.`,
  }));
  const sessionTemplates = Array.from({ length: 1200 }, (_, i) => ({
    name: `Template ${String(i).padStart(4, '0')}`,
    agents: [agents[i % 147]!.name, agents[(i + 1) % 147]!.name],
  }));
  await api('POST', '/config/import', {
    bundle: { format: 'switchboard.bundle/v1', agents, sessionTemplates },
  });
});

async function openTemplate(page: Page, name: string) {
  await page.goto(`/app/templates/${ids[name]}`);
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
}

async function expectNoIds(page: Page, where: string) {
  // What a person reads on the page (rendered text), not every node's text.
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is the point
  const text = await page.getByRole('main').innerText();
  expect(text.match(UUID), `${where} shows an id`).toBeNull();
}

test('the oldest agent is found by typing part of its name, and added to a new template', async ({
  page,
}) => {
  await signIn(page, EMAIL, PASSWORD);
  await page.goto('/app/templates/new');
  await page.getByLabel('Name', { exact: true }).fill('With the oldest');
  const search = page.getByRole('combobox', { name: /Add to agents in the session/ });
  await search.click();
  await search.pressSequentially('Oldest Al');
  await expect(page.getByRole('option', { name: /Oldest Alpha/ })).toBeVisible();
  await page.keyboard.press('Enter');
  const chosen = page.getByRole('list', { name: 'Agents in the session: chosen' });
  await expect(chosen).toContainText('Oldest Alpha');
  await page.screenshot({ path: path.join(SHOTS, 'scale-agent-picker.png'), fullPage: true });
  await page.getByRole('button', { name: 'Create template' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'With the oldest' })).toBeVisible();
  await expect(page.getByRole('list', { name: 'Agents in the session: chosen' })).toContainText(
    'Oldest Alpha',
  );
});

test('a template that uses the two oldest agents opens with them, and saves a description change', async ({
  page,
}) => {
  await signIn(page, EMAIL, PASSWORD);
  await openTemplate(page, 'Uses the oldest');
  const chosen = page.getByRole('list', { name: 'Agents in the session: chosen' });
  await expect(chosen.getByRole('listitem')).toHaveText([/Oldest Alpha/, /Oldest Beta/]);
  await expect(page.getByRole('complementary', { name: 'Preview' })).toContainText(
    'Oldest Alpha → Oldest Beta',
  );
  await page.getByLabel('Description').fill('Saved at scale');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText(/Saved “Uses the oldest” \(version 2\)/)).toBeVisible();
  // Reordered with the keyboard-operable buttons: the history shows the change by name.
  await page.getByRole('button', { name: 'Move Oldest Beta up' }).click();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText(/Saved “Uses the oldest” \(version 3\)/)).toBeVisible();
  const history = page.getByRole('region', { name: 'History' });
  await expect(history).toContainText('Oldest Alpha, Oldest Beta');
  await expect(history).toContainText('Oldest Beta, Oldest Alpha');
  await expectNoIds(page, 'the template page with its history');
  await page.screenshot({ path: path.join(SHOTS, 'scale-template-history.png'), fullPage: true });
});

test('a handoff target older than the newest 100 is shown, and removable', async ({ page }) => {
  await signIn(page, EMAIL, PASSWORD);
  await page.goto(`/app/agents/${ids['Handoff Holder']}`);
  const targets = page.getByRole('list', { name: 'Hands off to: chosen' });
  await expect(targets).toContainText('Oldest Alpha');
  await page.getByRole('button', { name: 'Remove Oldest Alpha' }).click();
  await expect(page.getByRole('group', { name: 'Hands off to' })).toContainText('None chosen.');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText(/Saved “Handoff Holder” \(version 2\)/)).toBeVisible();
});

test('the list and a refused delete show names, never ids', async ({ page }) => {
  await signIn(page, EMAIL, PASSWORD);
  await expect(page.getByRole('cell', { name: /Agent 0\d\d, Agent 0\d\d/ }).first()).toBeVisible();
  await expectNoIds(page, 'the template list');
  await page.goto(`/app/agents/${ids['Oldest Alpha']}`);
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('button', { name: 'Delete agent' }).click();
  const refusal = page.getByRole('alert').filter({ hasText: 'cannot be deleted while it is in use' });
  await expect(refusal.getByRole('link', { name: 'Uses the oldest' })).toBeVisible();
  await expectNoIds(page, 'a refused delete');
  await page.screenshot({ path: path.join(SHOTS, 'scale-refused-delete.png'), fullPage: true });
});

test('restored from Deleted, a template saves without a reload', async ({ page }) => {
  const restorable = await api('POST', '/session-templates', {
    name: 'Restorable',
    agentIds: [ids['Oldest Beta']],
  });
  ids.Restorable = restorable.id;
  await signIn(page, EMAIL, PASSWORD);
  await openTemplate(page, 'Restorable');
  await page.getByLabel('Description').fill('Before the delete');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText(/Saved “Restorable” \(version 2\)/)).toBeVisible();
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('button', { name: 'Delete template' }).click();
  // The delete is done when the page leads back to the list.
  await expect(page.getByText('Deleted “Restorable”')).toBeVisible();
  await page.goto('/app/templates?status=deleted');
  await page.getByRole('link', { name: 'Restorable' }).click();
  await page.getByRole('button', { name: 'Restore version 2' }).click();
  await page
    .getByRole('alertdialog')
    .getByRole('button', { name: /^Restore/ })
    .click();
  await expect(page.getByRole('heading', { level: 1, name: 'Restorable' })).toBeVisible();
  await expect(page.getByText(/^Version 4 ·/)).toBeVisible();
  await page.getByLabel('Description').fill('After the restore');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText(/Saved “Restorable” \(version 5\)/)).toBeVisible();
});

test('an import names all six problems of a bundle at once; a file that is no bundle says so', async ({
  page,
}) => {
  await signIn(page, EMAIL, PASSWORD);
  await page.goto('/app/config');
  const bundle = {
    format: 'switchboard.bundle/v1',
    agents: [
      { name: 'Empty', instructions: '' },
      { name: 'Odd', instructions: 'i', modality: 'telepathy' },
      { name: 'Twice', instructions: 'i', handoffTargets: ['Ghost'] },
      { name: 'Twice', instructions: 'again' },
    ],
    sessionTemplates: [
      { name: 'Lonely', agents: ['Nobody'] },
      { name: 'Greeted', agents: ['Agent 001'], initialAgent: 'Missing' },
    ],
  };
  await page.getByLabel('Bundle file').setInputFiles({
    name: 'six-problems.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(bundle)),
  });
  const refusal = page.getByRole('alert').filter({ hasText: 'six-problems.json cannot be imported' });
  await expect(refusal.getByRole('listitem')).toHaveCount(6);
  for (const where of [
    'Agent “Empty” · Instructions',
    'Agent “Odd” · Modality',
    'Agent “Twice” · Hands off to',
    'Agent “Twice” · Name',
    'Template “Lonely” · Agents',
    'Template “Greeted” · Greets first',
  ]) {
    await expect(refusal).toContainText(where);
  }
  await expectNoIds(page, 'the import refusal');
  await page.screenshot({ path: path.join(SHOTS, 'scale-import-six-problems.png'), fullPage: true });
  await page.getByLabel('Bundle file').setInputFiles({
    name: 'hello.json',
    mimeType: 'application/json',
    buffer: Buffer.from('{"hello":"world"}'),
  });
  await expect(page.getByText(/This file is not a Switchboard bundle: it has no "format"/)).toBeVisible();
});

test('every page fits a phone (390×844) with no sideways scroll, and passes axe in light and dark', async ({
  browser,
}) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await signIn(page, EMAIL, PASSWORD);
  const pages: [string, string][] = [
    ['templates', '/app/templates'],
    ['template', `/app/templates/${ids['Uses the oldest']}`],
    ['new-template', '/app/templates/new'],
    ['agents', '/app/agents'],
    ['agent', `/app/agents/${ids['Handoff Holder']}`],
    ['members', '/app/members'],
    ['api-keys', '/app/api-keys'],
    ['audit', '/app/audit'],
    ['config', '/app/config'],
  ];
  for (const [name, url] of pages) {
    await page.goto(url);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    if (name === 'template') {
      // Its session config too: the command and the JSON fit the card.
      await page.getByRole('button', { name: 'Show what the runtime receives' }).click();
      await expect(page.getByText(/Resolved JSON/)).toBeVisible();
    }
    // The tab is titled after the page.
    expect(await page.title()).toMatch(/ · Switchboard$/);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' });
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width, `${name} (${scheme}) scrolls sideways`).toBeLessThanOrEqual(390);
      const results = await new AxeBuilder({ page }).analyze();
      const serious = results.violations.filter((violation) =>
        ['serious', 'critical'].includes(violation.impact ?? ''),
      );
      expect(
        serious.map(
          (violation) => `${violation.id}: ${violation.nodes.map((node) => node.target).join(', ')}`,
        ),
        `${name} at phone size (${scheme})`,
      ).toEqual([]);
      await page.screenshot({ path: path.join(SHOTS, `phone-${name}-${scheme}.png`), fullPage: true });
    }
    await page.emulateMedia({ colorScheme: 'light' });
  }
  // The navigation is a menu: closed, opened by its button, closed again on a choice.
  await page.goto('/app/templates');
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeHidden();
  await page.getByRole('button', { name: 'Menu' }).click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Agents' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Agents' })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeHidden();
  await context.close();
});
