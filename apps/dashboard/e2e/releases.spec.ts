import { expect, type Page, test } from '@playwright/test';
import { checkPage, signIn } from './helpers';

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
  const panel = deployments(page);
  await expect(panel.getByRole('listitem').filter({ hasText: 'staging' })).toContainText('Not deployed');
  await expect(panel.getByRole('listitem').filter({ hasText: 'production' })).toContainText(
    'Stable: version 1',
  );

  // A change of the working copy: production keeps serving version 1.
  await page.getByLabel('Description').fill('Shorter exercise, friendlier greeting.');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText(/^Version 2 · updated/)).toBeVisible();

  // Deploy version 2 to staging with the keyboard alone.
  const deployToStaging = panel.getByRole('button', { name: 'Deploy v2 to staging' });
  await deployToStaging.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('alertdialog', { name: /Deploy version 2 to staging/ });
  await expect(dialog).toContainText('nothing served');
  await checkPage(page, 'deploy-to-staging');
  await page.keyboard.press('Tab');
  await expect(dialog.getByRole('button', { name: 'Deploy', exact: true })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(panel.getByRole('listitem').filter({ hasText: 'staging' })).toContainText('Stable: version 2');

  // Canary in production: 10% of sessions get version 2.
  const production = panel.getByRole('listitem').filter({ hasText: 'production' });
  await production.getByLabel('Canary share in production (%)').fill('0');
  await expect(production.getByText('1 to 99')).toBeVisible();
  await expect(production.getByRole('button', { name: /^Canary v2 to/ })).toBeDisabled();
  await production.getByLabel('Canary share in production (%)').fill('10');
  await production.getByRole('button', { name: 'Canary v2 to 10%' }).click();
  const canaryDialog = page.getByRole('alertdialog', { name: /Give version 2 to 10% of production/ });
  await expect(canaryDialog).toContainText('Description');
  await confirm(page, /Give version 2 to 10% of production/, 'Start canary', 'canary-production');
  await expect(production).toContainText('canary 10%');
  await checkPage(page, 'deployments-panel');

  // The session config panel says which release a session key lands in.
  await page.getByRole('button', { name: 'Show what the runtime receives' }).click();
  await page.getByLabel('Environment', { exact: true }).selectOption('production');
  await expect(
    page.getByText(/Without a session key: stable release of production, version 1/),
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
  await expect(plan).toContainText(`${TEMPLATE}: version 1`);
  await expect(plan).toContainText('Shorter exercise, friendlier greeting.');
  await checkPage(page, 'promote-plan');
  await page.getByRole('button', { name: 'Promote to production' }).click();
  await confirm(page, /Promote 1 template from staging to production/, 'Promote');
  await expect(page.getByRole('region', { name: 'What production changed' })).toBeVisible();

  // Roll production back to version 1.
  await page.goBack();
  await page.goBack();
  await expect(page.getByRole('heading', { level: 1, name: TEMPLATE })).toBeVisible();
  await expect(production).toContainText('Stable: version 2');
  await expect(production).not.toContainText('canary');
  await production.getByRole('button', { name: 'Roll back production to v1' }).click();
  await confirm(page, /Roll production back to version 1/, 'Roll back', 'rollback');
  await expect(production).toContainText('Stable: version 1');
  // What a runtime gets from production now: version 1 again.
  await page.getByRole('button', { name: 'Show what the runtime receives' }).click();
  await page.getByLabel('Environment', { exact: true }).selectOption('production');
  await expect(page.getByText(/stable release of production, version 1/)).toBeVisible();

  // Production follows latest again (its deployments are dropped): the demo data is as it was.
  await page.getByRole('link', { name: 'Environments', exact: true }).click();
  await page.getByRole('button', { name: 'Follow latest in production' }).click();
  await confirm(page, /Follow latest in production/, 'Follow latest');
  await expect(page.getByRole('list', { name: 'Environments' }).getByRole('listitem').first()).toContainText(
    'follows latest',
  );
});
