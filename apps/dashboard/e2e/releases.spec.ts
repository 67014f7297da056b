import { expect, type Page, test } from '@playwright/test';
import { checkPage, PASSWORD, signIn } from './helpers';

/**
 * Releasing a change safely through the dashboard: create staging, deploy to it, canary in
 * production, promote, roll back. Each action is confirmed in a dialog that shows what changes.
 */
const TEMPLATE = 'Default Coding Interview';

async function confirm(page: Page, title: RegExp, button: string, screenshot?: string) {
  const dialog = page.getByRole('alertdialog', { name: title });
  await expect(dialog).toBeVisible();
  // The diff is read from the revisions as the dialog opens.
  await expect(dialog.getByRole('status')).toHaveCount(0);
  if (screenshot) await checkPage(page, screenshot);
  await dialog.getByRole('button', { name: button, exact: true }).click();
  await expect(dialog).toHaveCount(0);
}

function deployments(page: Page) {
  return page.getByRole('region', { name: 'Deployments' });
}

// Whatever happens above, production follows latest again after this file, as the other specs expect.
test.afterAll(async () => {
  const base = `http://127.0.0.1:${Number(process.env.E2E_PORT ?? 4173)}`;
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@example.com', password: PASSWORD }),
  }).then((response) => response.json());
  await fetch(`${base}/api/v1/environments/production`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${login.accessToken}` },
    body: JSON.stringify({ followsLatest: true }),
  });
});

test('deploy to staging, canary in production, promote, roll back', async ({ page }) => {
  await signIn(page);
  await page.getByRole('link', { name: 'Environments', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Environments' })).toBeVisible();
  const name = page.getByLabel('Name');
  // A name the rule refuses is shown on the field, and nothing is created.
  await name.fill('Staging');
  await page.getByRole('button', { name: 'Create environment' }).click();
  await expect(name).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('Must be 1..40 characters of a-z, 0-9 and -')).toBeVisible();
  await name.fill('staging');
  await page.getByRole('button', { name: 'Create environment' }).click();
  const environments = page.getByRole('list', { name: 'Environments' });
  await expect(environments.getByRole('heading', { name: 'staging' })).toBeVisible();
  // Production stops following latest: what it serves now is pinned.
  await page.getByRole('button', { name: 'Stop following latest in production' }).click();
  await confirm(page, /Stop following latest in production/, 'Stop following latest');
  await expect(environments.getByRole('listitem').first()).toContainText('manual');
  await checkPage(page, 'environments');

  await page.getByRole('link', { name: 'Session templates' }).click();
  await page.getByRole('link', { name: TEMPLATE, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: TEMPLATE })).toBeVisible();
  // Other specs may have saved the demo template before: versions are counted from what it is now.
  const header = (await page.getByText(/^Version \d+ · updated/).textContent()) ?? '';
  const base = Number(/^Version (\d+)/.exec(header)![1]);
  const next = base + 1;
  const panel = deployments(page);
  await expect(panel.getByRole('listitem').filter({ hasText: 'staging' })).toContainText('Not deployed');
  await expect(panel.getByRole('listitem').filter({ hasText: 'production' })).toContainText(
    `Stable: version ${base}`,
  );

  // A change of the working copy: production keeps serving what it served.
  await page.getByLabel('Description').fill('Shorter exercise, friendlier greeting.');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText(new RegExp(`^Version ${next} · updated`))).toBeVisible();

  // Deploy the new version to staging with the keyboard alone.
  const deployToStaging = panel.getByRole('button', { name: `Deploy v${next} to staging` });
  await deployToStaging.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('alertdialog', { name: `Deploy version ${next} to staging?` });
  await expect(dialog).toContainText('nothing served');
  await checkPage(page, 'deploy-to-staging');
  await page.keyboard.press('Tab');
  await expect(dialog.getByRole('button', { name: 'Deploy', exact: true })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(panel.getByRole('listitem').filter({ hasText: 'staging' })).toContainText(
    `Stable: version ${next}`,
  );

  // Canary in production: 10% of sessions get the new version.
  const production = panel.getByRole('listitem').filter({ hasText: 'production' });
  await production.getByLabel('Canary share in production (%)').fill('0');
  await expect(production.getByText('1 to 99')).toBeVisible();
  await expect(production.getByRole('button', { name: new RegExp(`^Canary v${next} to`) })).toBeDisabled();
  await production.getByLabel('Canary share in production (%)').fill('10');
  await production.getByRole('button', { name: `Canary v${next} to 10%` }).click();
  const canaryDialog = page.getByRole('alertdialog', {
    name: new RegExp(`Give version ${next} to 10% of production`),
  });
  await expect(canaryDialog).toContainText('Description');
  await confirm(
    page,
    new RegExp(`Give version ${next} to 10% of production`),
    'Start canary',
    'canary-production',
  );
  await expect(production).toContainText('canary 10%');
  await checkPage(page, 'deployments-panel');

  // The session config panel says which release a session key lands in.
  await page.getByRole('button', { name: 'Show what the runtime receives' }).click();
  await page.getByLabel('Environment', { exact: true }).selectOption('production');
  await expect(
    page.getByText(new RegExp(`Without a session key: stable release of production, version ${base}`)),
  ).toBeVisible();
  await page.getByLabel('Session key').fill('call-42');
  await expect(
    page.getByText(/Key “call-42” lands in the (stable|canary) release of production/),
  ).toBeVisible();
  await checkPage(page, 'session-config-environment');

  // Promote staging to production: the plan first, then all of it.
  await page.getByRole('link', { name: 'Environments', exact: true }).click();
  await page.getByRole('link', { name: 'Promote between environments' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Promote' })).toBeVisible();
  await page.getByLabel('From', { exact: true }).selectOption('staging');
  await page.getByLabel('To', { exact: true }).selectOption('production');
  await page.getByRole('button', { name: 'Show the plan' }).click();
  const plan = page.getByRole('region', { name: 'What production will change' });
  await expect(plan).toContainText(`${TEMPLATE}: version ${base}`);
  await expect(plan).toContainText('Shorter exercise, friendlier greeting.');
  await checkPage(page, 'promote-plan');
  await page.getByRole('button', { name: 'Promote to production' }).click();
  await confirm(page, /Promote 1 template from staging to production/, 'Promote');
  await expect(page.getByRole('region', { name: 'What production changed' })).toBeVisible();

  // Roll production back to the version before.
  await page.goBack();
  await page.goBack();
  await expect(page.getByRole('heading', { level: 1, name: TEMPLATE })).toBeVisible();
  await expect(production).toContainText(`Stable: version ${next}`);
  await expect(production).not.toContainText('canary 10%');
  await production.getByRole('button', { name: `Roll back production to v${base}` }).click();
  await confirm(page, new RegExp(`Roll production back to version ${base}`), 'Roll back', 'rollback');
  await expect(production).toContainText(`Stable: version ${base}`);
  // What a runtime gets from production now: that version again.
  await page.getByRole('button', { name: 'Show what the runtime receives' }).click();
  await page.getByLabel('Environment', { exact: true }).selectOption('production');
  await expect(page.getByText(new RegExp(`stable release of production, version ${base}`))).toBeVisible();

  // Production follows latest again (its deployments are dropped): the demo data is as it was.
  await page.getByRole('link', { name: 'Environments', exact: true }).click();
  await page.getByRole('button', { name: 'Follow latest in production' }).click();
  await confirm(page, /Follow latest in production/, 'Follow latest');
  await expect(page.getByRole('list', { name: 'Environments' }).getByRole('listitem').first()).toContainText(
    'follows latest',
  );
});

test('a ramp keeps the canary release, rollback serves what production served before, following latest shows its plan', async ({
  page,
}) => {
  await signIn(page);
  await page.getByRole('link', { name: 'Environments', exact: true }).click();
  await page.getByRole('button', { name: 'Stop following latest in production' }).click();
  await confirm(page, /Stop following latest in production/, 'Stop following latest');

  await page.getByRole('link', { name: 'Session templates' }).click();
  await page.getByRole('link', { name: TEMPLATE, exact: true }).click();
  const header = (await page.getByText(/^Version \d+ · updated/).textContent()) ?? '';
  const base = Number(/^Version (\d+)/.exec(header)![1]);
  const production = deployments(page).getByRole('listitem').filter({ hasText: 'production' });
  await expect(production).toContainText(`Stable: version ${base}`);
  // Nothing to deploy and nothing to canary: the working copy is what production serves.
  await expect(production).toContainText(`Version ${base} is what production serves`);
  await expect(production.getByRole('button', { name: /^Deploy v/ })).toHaveCount(0);
  await expect(production.getByRole('button', { name: /^Canary v/ })).toHaveCount(0);

  const save = async (description: string, version: number) => {
    await page.getByLabel('Description').fill(description);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByText(new RegExp(`^Version ${version} · updated`))).toBeVisible();
  };
  await save('Canary: a warmer greeting.', base + 1);
  await production.getByLabel('Canary share in production (%)').fill('10');
  await production.getByRole('button', { name: `Canary v${base + 1} to 10%` }).click();
  await confirm(page, new RegExp(`Give version ${base + 1} to 10% of production`), 'Start canary');
  await expect(production).toContainText('canary 10%');

  // Another save meanwhile: raising the share keeps the canary's release, and says so.
  await save('A draft nobody canaried.', base + 2);
  await expect(production).toContainText(`Version ${base + 2} is not in this canary`);
  await production.getByLabel('Canary share in production (%)').fill('25');
  await production.getByRole('button', { name: 'Set canary share to 25%' }).click();
  const ramp = page.getByRole('alertdialog', { name: /Give the canary 25% of production's sessions/ });
  await expect(ramp).toContainText(`The canary keeps its release, version ${base + 1}`);
  await confirm(page, /Give the canary 25% of production's sessions/, 'Change the share', 'ramp-canary');
  await expect(production).toContainText('canary 25%');
  await expect(production).toContainText(`canary 25% version ${base + 1}`);

  // Deploy the draft with a note: the dialog warns production never served it.
  await production.getByRole('button', { name: `Deploy v${base + 2} to production` }).click();
  const deploy = page.getByRole('alertdialog', { name: `Deploy version ${base + 2} to production?` });
  await expect(deploy.getByRole('note')).toContainText('never been served by another environment');
  await expect(deploy).toContainText(`Its canary (version ${base + 1}, 25% of sessions) ends.`);
  await deploy.getByLabel('Note (optional)').fill('Shorter exercise for everyone');
  await confirm(
    page,
    new RegExp(`Deploy version ${base + 2} to production`),
    'Deploy',
    'deploy-with-warning',
  );
  await expect(production).toContainText(`Stable: version ${base + 2}`);
  await expect(production).toContainText('“Shorter exercise for everyone”');

  // Roll back: what production served before (version base), never the canary it only tried.
  await production.getByRole('button', { name: `Roll back production to v${base}` }).click();
  const rollback = page.getByRole('alertdialog', {
    name: new RegExp(`Roll production back to version ${base}`),
  });
  await expect(rollback.getByLabel('Serve again')).toContainText('(what it served before)');
  await confirm(page, new RegExp(`Roll production back to version ${base}`), 'Roll back', 'rollback-choice');
  await expect(production).toContainText(`Stable: version ${base}`);
  await production.getByText('Release history in production').click();
  const history = production.getByRole('table', { name: /Release history of production/ });
  // Newest first, numbered on from the releases before (the numbers never restart).
  await expect(history.getByRole('row').nth(1)).toContainText('Rolled back');
  await expect(history.getByRole('row').nth(2)).toContainText('Shorter exercise for everyone');
  await expect(history.getByRole('row').nth(3)).toContainText('Canary share changed');
  await expect(history.getByRole('row').nth(4)).toContainText('Canary started');
  await expect(history.getByRole('row').nth(5)).toContainText('Pinned');
  await expect(history).toContainText('Follows latest');
  await checkPage(page, 'release-history');

  // Following latest again: the plan lists what production's sessions get instead, in a warning.
  await page.getByRole('link', { name: 'Environments', exact: true }).click();
  await page.getByRole('button', { name: 'Follow latest in production' }).click();
  const follow = page.getByRole('alertdialog', { name: /Follow latest in production/ });
  await expect(follow).toContainText(`${TEMPLATE}: version ${base}`);
  await expect(follow).toContainText(`version ${base + 2}`);
  await expect(follow.getByRole('button', { name: 'Follow latest', exact: true })).toHaveClass(/bg-red/);
  await confirm(page, /Follow latest in production/, 'Follow latest', 'follow-latest-plan');

  // Every save now goes live at once: the form says so beside Save.
  await page.getByRole('link', { name: 'Session templates' }).click();
  await page.getByRole('link', { name: TEMPLATE, exact: true }).click();
  await expect(page.getByText('Saving goes live in production now')).toBeVisible();
});
