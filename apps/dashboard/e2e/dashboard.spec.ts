import { readFileSync } from 'node:fs';
import { type Browser, expect, type Locator, type Page, test } from '@playwright/test';
import { checkPage, PASSWORD, signIn } from './helpers';

/**
 * The dashboard as people use it, in Chromium, against the real server with the demo data:
 * admin@example.com and member@example.com, password switchboard-demo.
 */

async function signedIn(browser: Browser, email: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, email);
  return { context, page };
}

/** Presses Tab until `target` has the focus, as a keyboard user would (fails after 80 presses). */
async function tabTo(page: Page, target: Locator) {
  for (let i = 0; i < 80; i++) {
    if (await target.evaluate((element) => element === document.activeElement).catch(() => false)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${target}`);
}

/**
 * Chooses a radio button as a keyboard user does: Tab into its group (onto the checked button),
 * then arrow keys until it is checked.
 */
async function chooseRadio(page: Page, target: Locator) {
  const name = await target.getAttribute('name');
  await tabTo(page, page.locator(`input[type=radio][name="${name}"]:checked`));
  for (let i = 0; i < 6 && !(await target.isChecked()); i++) await page.keyboard.press('ArrowDown');
  await expect(target).toBeChecked();
}

test('sign-up creates an organization and leads to its first template', async ({ page }) => {
  await page.goto('/app/sign-up');
  await checkPage(page, 'sign-up');
  await page.getByLabel('Organization name').fill('Acme Voice');
  await page.getByLabel('Email').fill(`owner-${Date.now()}@example.com`);
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create organization' }).click();
  await expect(page.getByText('At least 8 characters')).toBeVisible();
  await page.getByLabel('Password').fill('a-good-password');
  await page.getByRole('button', { name: 'Create organization' }).click();
  await expect(page.getByText('No session templates yet')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Create the first template' })).toBeVisible();
  await expect(page.getByText('Acme Voice')).toBeVisible();
});

test('sign-in page, wrong password, and every page of the demo admin pass axe in light and dark', async ({
  page,
}) => {
  await page.goto('/app/sign-in');
  await checkPage(page, 'sign-in');
  await page.getByLabel('Email').fill('admin@example.com');
  await page.getByLabel('Password').fill('wrong-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('Invalid email or password');

  await signIn(page, 'admin@example.com');
  await expect(page.getByRole('link', { name: 'Default Coding Interview' })).toBeVisible();
  await checkPage(page, 'templates');
  await page.getByRole('link', { name: 'Default Coding Interview' }).click();
  await expect(page.getByRole('heading', { name: 'What the end-user gets' })).toBeVisible();
  await checkPage(page, 'template-form');
  await page.getByRole('link', { name: 'Agents', exact: true }).click();
  await expect(page.getByRole('link', { name: 'Triage Agent' })).toBeVisible();
  await checkPage(page, 'agents');
  await page.getByRole('link', { name: 'Triage Agent' }).click();
  await expect(page.getByLabel('Instructions')).toBeVisible();
  await checkPage(page, 'agent-form');
  await page.getByRole('link', { name: 'Members' }).click();
  await expect(page.getByText('member@example.com').first()).toBeVisible();
  await checkPage(page, 'members');
  await page.goto('/app/templates/new');
  await expect(page.getByRole('heading', { name: 'New session template' })).toBeVisible();
  await checkPage(page, 'template-new');
  await page.goto('/app/agents/new');
  await expect(page.getByRole('heading', { name: 'New agent' })).toBeVisible();
  await checkPage(page, 'agent-new');
});

test('an admin creates an agent and a template with the keyboard alone', async ({ page }) => {
  await signIn(page, 'admin@example.com');
  const name = `Whiteboard coach ${Date.now()}`;
  await page.goto('/app/agents');
  await tabTo(page, page.getByRole('link', { name: 'New agent' }));
  await page.keyboard.press('Enter');
  await tabTo(page, page.getByLabel('Name', { exact: true }));
  await page.keyboard.type(name);
  await tabTo(page, page.getByLabel('Instructions'));
  await page.keyboard.type('Draw with the candidate.');
  await chooseRadio(page, page.getByRole('radio', { name: 'Needs the camera' }));
  await tabTo(page, page.getByRole('checkbox', { name: 'Whiteboard' }));
  await page.keyboard.press('Space');
  await tabTo(page, page.getByRole('button', { name: 'Create agent' }));
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name })).toBeVisible();

  await page.goto('/app/templates/new');
  await tabTo(page, page.getByLabel('Name', { exact: true }));
  await page.keyboard.type(`Design review ${Date.now()}`);
  // The agent picker searches the server as the person types; Enter adds the highlighted match.
  await tabTo(page, page.getByRole('combobox', { name: /Add to agents in the session/ }));
  await page.keyboard.type(name);
  await expect(page.getByRole('option', { name: new RegExp(name) })).toBeVisible();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('list', { name: 'Agents in the session: chosen' })).toContainText(name);
  // Profiles that cannot publish the camera say so; those not chosen are disabled.
  await expect(page.getByRole('radio', { name: /^Audio \+ screen share Does not cover/ })).toBeDisabled();
  await expect(page.getByText(`Does not cover ${name}`).first()).toBeVisible();
  await chooseRadio(page, page.getByRole('radio', { name: /^Audio \+ camera Covers/ }));
  await tabTo(page, page.getByRole('checkbox', { name: /^Whiteboard Provided by/ }));
  await page.keyboard.press('Space');
  const preview = page.getByRole('complementary', { name: 'Preview' });
  await expect(preview).toContainText('Whiteboard');
  await expect(preview.getByText('Camera').locator('xpath=following-sibling::dd[1]')).toHaveText('Allowed');
  await tabTo(page, page.getByRole('button', { name: 'Create template' }));
  await page.keyboard.press('Enter');
  await expect(page.getByText(/^Version 1 · updated/)).toBeVisible();
});

test('server errors land on their field', async ({ page }) => {
  await signIn(page, 'admin@example.com');
  await page.goto('/app/templates/new');
  await page.getByRole('button', { name: 'Create template' }).click();
  await expect(page.getByLabel('Name', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByRole('group', { name: 'Agents in the session' }).getByRole('alert')).toBeVisible();
});

test('a save from a stale page says what they changed, next to Save; keep mine or discard mine', async ({
  browser,
}) => {
  const first = await signedIn(browser, 'admin@example.com');
  const second = await signedIn(browser, 'admin@example.com');
  for (const { page } of [first, second]) {
    await page.getByRole('link', { name: 'Default Coding Interview' }).click();
    await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Default Coding Interview');
  }
  const theirs = `Changed by the second window ${Date.now()}`;
  await second.page.getByLabel('Description').fill(theirs);
  await second.page.getByRole('button', { name: 'Save changes' }).click();
  await expect(second.page.getByText(/Saved “Default Coding Interview” \(version \d+\)/)).toBeVisible();

  await first.page.getByLabel('Description').fill('Changed by the first window');
  await first.page.getByRole('button', { name: 'Save changes' }).click();
  const notice = first.page.getByRole('alert').filter({ hasText: 'Not saved: someone saved version' });
  await expect(notice).toContainText('They changed Description');
  // Next to the button the person pressed, in view.
  await expect(notice).toBeInViewport();
  await notice.getByRole('button', { name: 'Show their changes' }).click();
  await expect(notice).toContainText(theirs);
  await checkPage(first.page, 'template-stale');
  // Saving again without choosing is refused again: nothing of the second window is overwritten.
  await first.page.getByRole('button', { name: 'Save changes' }).click();
  await expect(notice).toBeVisible();
  await expect(first.page.getByText(/^Saved “Default Coding Interview”/)).toHaveCount(0);
  // Keep mine: the edits stay, and the next save applies them on the new version.
  await notice.getByRole('button', { name: /^Keep mine on version/ }).click();
  await expect(first.page.getByLabel('Description')).toHaveValue('Changed by the first window');
  await first.page.getByRole('button', { name: 'Save changes' }).click();
  await expect(first.page.getByText(/Saved “Default Coding Interview” \(version \d+\)/)).toBeVisible();
  await first.context.close();
  await second.context.close();
});

test('an agent saved from a stale page is refused the same way; discard mine loads theirs', async ({
  browser,
}) => {
  const first = await signedIn(browser, 'admin@example.com');
  const second = await signedIn(browser, 'admin@example.com');
  for (const { page } of [first, second]) {
    await page.goto('/app/agents');
    await page.getByRole('link', { name: 'Coding Expert' }).click();
    await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Coding Expert');
  }
  await second.page.getByLabel('Voice').fill('verse');
  await second.page.getByRole('button', { name: 'Save changes' }).click();
  await expect(second.page.getByText(/Saved “Coding Expert” \(version \d+\)/)).toBeVisible();
  await first.page.getByLabel('Model').fill('gpt-4.1');
  await first.page.getByRole('button', { name: 'Save changes' }).click();
  const notice = first.page.getByRole('alert').filter({ hasText: 'Not saved: someone saved version' });
  await expect(notice).toContainText('They changed Voice');
  await notice.getByRole('button', { name: /^Discard mine and load version/ }).click();
  await expect(first.page.getByLabel('Voice')).toHaveValue('verse');
  await first.context.close();
  await second.context.close();
});

test('a refused agent delete shows the templates that still use it, linked', async ({ page }) => {
  await signIn(page, 'admin@example.com');
  await page.getByRole('link', { name: 'Agents', exact: true }).click();
  await page.getByRole('link', { name: 'Triage Agent' }).click();
  await page.getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('alertdialog')).toContainText('Delete “Triage Agent”?');
  await page.getByRole('button', { name: 'Delete agent' }).click();
  const refusal = page.getByRole('alert').filter({ hasText: 'cannot be deleted while it is in use' });
  await expect(refusal).toBeVisible();
  await refusal.getByRole('link', { name: 'Default Coding Interview' }).click();
  await expect(page.getByRole('heading', { name: 'Default Coding Interview' })).toBeVisible();
});

test('a member sees every page read-only, with no control that writes', async ({ page }) => {
  await signIn(page, 'member@example.com');
  await expect(page.getByText('Member (read-only)')).toBeVisible();
  await expect(page.getByRole('link', { name: 'New template' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Members' })).toHaveCount(0);
  await page.getByRole('link', { name: 'Default Coding Interview' }).click();
  await expect(page.getByText('You are a member: this template is read-only.')).toBeVisible();
  // The template reads as text: no greyed-out controls.
  const main = page.getByRole('main');
  await expect(main.getByRole('definition').first()).toHaveText('Default Coding Interview');
  await expect(main.getByRole('textbox')).toHaveCount(0);
  await expect(main.getByRole('button', { name: /Save|Delete|Clone|Remove/ })).toHaveCount(0);
  await checkPage(page, 'template-member');
  await page.goto('/app/templates/new');
  await expect(page.getByRole('heading', { level: 1, name: 'New session template' })).toBeVisible();
  await expect(page.getByText('Only admins create session templates')).toBeVisible();
  await page.goto('/app/agents');
  await expect(page.getByRole('link', { name: 'New agent' })).toHaveCount(0);
  // Members may export, as the API allows; importing is for admins.
  await page.goto('/app/config');
  await expect(page.getByRole('heading', { level: 1, name: 'Export' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Download the bundle' })).toBeVisible();
  await expect(page.getByLabel('Bundle file')).toHaveCount(0);
});

test('deep links survive a reload; a lost session returns to the same page after sign-in; sign-out', async ({
  page,
}) => {
  await signIn(page, 'admin@example.com');
  await page.goto('/app/templates?q=coding');
  await page.reload();
  await expect(page.getByLabel('Search templates by name')).toHaveValue('coding');
  await expect(page.getByRole('link', { name: 'Default Coding Interview' })).toBeVisible();
  await page.getByRole('link', { name: 'Default Coding Interview' }).click();
  const deepLink = page.url();
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Default Coding Interview' })).toBeVisible();

  // A revoked token: the next request is refused, and sign-in brings the person back here.
  await page.evaluate(() => {
    const stored = JSON.parse(sessionStorage.getItem('switchboard.session')!);
    sessionStorage.setItem('switchboard.session', JSON.stringify({ ...stored, accessToken: 'revoked' }));
  });
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Sign in to Switchboard' })).toBeVisible();
  await page.getByLabel('Email').fill('admin@example.com');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Default Coding Interview' })).toBeVisible();
  expect(page.url()).toBe(deepLink);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in to Switchboard' })).toBeVisible();
  await page.goto('/app/agents');
  await expect(page.getByRole('heading', { name: 'Sign in to Switchboard' })).toBeVisible();
  expect(await page.evaluate(() => localStorage.getItem('switchboard.session'))).toBeNull();
});

test('the server keeps its JSON 404 outside /app, and / leads to the dashboard', async ({
  page,
  request,
}) => {
  const missing = await request.get('/api/v1/nothing');
  expect(missing.status()).toBe(404);
  expect((await missing.json()).error.code).toBe('NOT_FOUND');
  await page.goto('/');
  await expect(page).toHaveURL(/\/app\//);
});

test('history: two edits show as revisions with their diffs, a restore is recorded, a deleted template comes back', async ({
  page,
}) => {
  await signIn(page, 'admin@example.com');
  await page.getByRole('link', { name: 'Default Coding Interview' }).click();
  await page.getByRole('button', { name: 'Clone' }).click();
  const original = 'Default Coding Interview (Copy)';
  await expect(page.getByRole('heading', { name: original })).toBeVisible();
  for (const name of ['History A', 'History B']) {
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByText(new RegExp(`Saved “${name}”`))).toBeVisible();
  }
  const history = page.getByRole('region', { name: 'History' });
  // "before → after" on screen; a screen reader hears "before changed to after".
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const change = (before: string, after: string) =>
    new RegExp(`${literal(before)} →\\s*changed to ${literal(after)}`);
  const version = (n: number) => history.getByRole('listitem', { name: `Version ${n}`, exact: true });
  await expect(version(3)).toContainText('Updated');
  await expect(version(3)).toContainText(change('History A', 'History B'));
  await expect(version(2)).toContainText(change(original, 'History A'));
  await expect(version(1)).toContainText('Cloned');
  await expect(version(1)).toContainText(/Ran with Triage Agent v\d+, Coding Expert v\d+/);

  await version(1).getByRole('button', { name: 'Restore version 1' }).click();
  const dialog = page.getByRole('alertdialog');
  await expect(dialog).toContainText('A new version 4 is made with the configuration of version 1');
  await expect(dialog).toContainText(change('History B', original));
  await dialog.getByRole('button', { name: 'Restore' }).click();
  await expect(page.getByRole('heading', { name: original })).toBeVisible();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue(original);
  await expect(version(4)).toContainText('Restored');
  await expect(version(4)).toContainText(change('History B', original));
  await checkPage(page, 'template-history');

  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('button', { name: 'Delete template' }).click();
  await expect(page.getByRole('heading', { name: 'Session templates' })).toBeVisible();
  await page.getByLabel('Show').selectOption('deleted');
  await page.getByRole('link', { name: original }).click();
  await expect(page.getByRole('heading', { name: `${original} (deleted)` })).toBeVisible();
  await expect(version(5)).toContainText('Deleted');
  await checkPage(page, 'template-deleted');
  await version(4).getByRole('button', { name: 'Restore version 4' }).click();
  await expect(page.getByRole('alertdialog')).toContainText('becomes active again');
  await page.getByRole('alertdialog').getByRole('button', { name: 'Restore' }).click();
  await expect(page.getByRole('heading', { name: original })).toBeVisible();
  await expect(version(6)).toContainText('Restored');

  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.getByLabel('Action').selectOption('sessionTemplate.deleted');
  const row = page.getByRole('row').filter({ hasText: original });
  await expect(row).toHaveCount(1);
  await checkPage(page, 'audit');
  await row.getByRole('link', { name: original }).click();
  await expect(page).toHaveURL(/version=5/);
  await expect(version(5)).toContainText('Deleted');
});

test('API keys: create shows the secret once, the key reads the session config the template page shows, revoke', async ({
  page,
  request,
}) => {
  await signIn(page, 'admin@example.com');
  await page.getByRole('link', { name: 'API keys' }).click();
  await expect(page.getByRole('heading', { name: 'API keys' })).toBeVisible();
  await page.getByLabel('Name').fill('Session runtime (e2e)');
  await page.getByLabel('Scope').selectOption('read');
  await page.getByLabel('Expires').selectOption('30');
  await page.getByRole('button', { name: 'Create key' }).click();
  await expect(page.getByText('You will not see it again')).toBeVisible();
  const secret = await page.getByLabel('Secret of Session runtime (e2e)').inputValue();
  expect(secret).toMatch(/^sbk_[A-Za-z0-9_-]{43}$/);
  const row = page.getByRole('row').filter({ hasText: 'Session runtime (e2e)' });
  await expect(row).toContainText(secret.slice(0, 12));
  await expect(row).toContainText('active');
  await checkPage(page, 'api-keys');
  await page.getByRole('button', { name: 'I have stored it' }).click();
  await expect(page.getByText('You will not see it again')).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole('row').filter({ hasText: 'Session runtime (e2e)' })).toBeVisible();
  expect(await page.content()).not.toContain(secret);

  // The template page shows what the runtime receives; the key reads the same JSON.
  await page.getByRole('link', { name: 'Session templates' }).click();
  await page.getByRole('link', { name: 'Default Coding Interview', exact: true }).click();
  await page.getByRole('button', { name: 'Show what the runtime receives' }).click();
  const panel = page.getByRole('region', { name: 'Session config' });
  await expect(panel).toContainText('/config');
  await expect(panel).toContainText('authorization: Bearer sbk_YOUR_KEY');
  const shown = JSON.parse((await panel.getByRole('region', { name: /Resolved JSON/ }).textContent()) ?? '');
  const id = page.url().split('/templates/')[1]!.split('?')[0]!;
  const fetched = await request.get(`/api/v1/session-templates/${id}/config`, {
    headers: { authorization: `Bearer ${secret}` },
  });
  expect(fetched.status()).toBe(200);
  expect(await fetched.json()).toEqual(shown);
  await checkPage(page, 'template-session-config');

  await page.getByRole('link', { name: 'API keys' }).click();
  await page
    .getByRole('row')
    .filter({ hasText: 'Session runtime (e2e)' })
    .getByRole('button', { name: 'Revoke' })
    .click();
  await page.getByRole('button', { name: 'Revoke key' }).click();
  await expect(page.getByRole('row').filter({ hasText: 'Session runtime (e2e)' })).toContainText('revoked');
  await expect
    .poll(async () =>
      (
        await request.get(`/api/v1/session-templates/${id}/config`, {
          headers: { authorization: `Bearer ${secret}` },
        })
      ).status(),
    )
    .toBe(401);
});

test('import / export: download the bundle, upload a changed one, see the plan with its field diff, apply it; a bad one names its entries', async ({
  page,
}) => {
  await signIn(page, 'admin@example.com');
  await page.getByRole('link', { name: 'Import / export' }).click();
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download the bundle' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('switchboard-bundle.json');
  const bundle = JSON.parse(readFileSync((await download.path())!, 'utf8'));
  expect(bundle.format).toBe('switchboard.bundle/v1');
  await checkPage(page, 'config');

  const changed = structuredClone(bundle);
  const triage = changed.agents.find((agent: { name: string }) => agent.name === 'Triage Agent');
  triage.voice = 'verse';
  changed.agents.push({ name: 'Imported Note Taker', instructions: 'Keep notes', panels: ['notepad'] });
  await page.getByLabel('Bundle file').setInputFiles({
    name: 'changed.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(changed)),
  });
  const plan = page.getByRole('region', { name: 'The plan' });
  await expect(plan.getByRole('row').filter({ hasText: 'Imported Note Taker' })).toContainText('create');
  await expect(plan.getByRole('row').filter({ hasText: 'Triage Agent' })).toContainText('Voice');
  await checkPage(page, 'config-plan');
  await plan.getByRole('button', { name: 'Apply this plan' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByRole('heading', { name: 'Applied' })).toBeVisible();
  await page.getByRole('link', { name: 'Agents', exact: true }).click();
  await expect(page.getByRole('link', { name: 'Imported Note Taker' })).toBeVisible();

  await page.getByRole('link', { name: 'Import / export' }).click();
  const broken = structuredClone(changed);
  broken.sessionTemplates[0].agents = ['Nobody'];
  await page.getByLabel('Bundle file').setInputFiles({
    name: 'broken.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(broken)),
  });
  const refusal = page.getByRole('alert').filter({ hasText: 'broken.json cannot be imported' });
  await expect(refusal).toContainText(
    `Template “${broken.sessionTemplates[0].name}” · Agents: No agent named "Nobody"`,
  );
  await checkPage(page, 'config-refused');
});
