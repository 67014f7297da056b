import { expect, test } from '@playwright/test';
import { checkPage, signIn } from './helpers';

/** Typed variables in the dashboard: declared on the agent, flagged as you type, rendered with sample values. */
test('declare a variable, see an undeclared one flagged, and render the instructions with values', async ({
  page,
}) => {
  await signIn(page);
  const agentName = `Personal greeter ${Date.now()}`;
  await page.goto('/app/agents/new');
  await page.getByLabel('Name', { exact: true }).fill(agentName);
  await page.getByLabel('Instructions').fill('Hello {{ candidate_name }}, we speak {{language}}.');
  const flagged = page.getByRole('status').filter({ hasText: 'not declared below' });
  await expect(flagged).toContainText('{{candidate_name}}, {{language}}');
  await flagged.getByRole('button', { name: 'Declare candidate_name' }).click();
  await expect(flagged).toContainText('{{language}}');
  await expect(flagged).not.toContainText('candidate_name');
  await checkPage(page, 'agent-variables-flagged');
  await flagged.getByRole('button', { name: 'Declare language' }).click();
  await expect(flagged).toHaveCount(0);
  // The language is one of a list, optional, English by default.
  const variables = page.getByRole('list', { name: 'Variables' });
  const language = variables.getByRole('listitem').nth(1);
  await language.getByLabel('Type').selectOption('enum');
  await language.getByLabel('Allowed values (comma-separated)').fill('en, de');
  await language.getByLabel('Required at every session start').uncheck();
  await language.getByLabel('Default').selectOption('en');
  await page.getByRole('button', { name: 'Create agent' }).click();
  await expect(page.getByRole('heading', { level: 1, name: agentName })).toBeVisible();

  await page.goto('/app/templates/new');
  await page.getByLabel('Name', { exact: true }).fill(`Personal interview ${Date.now()}`);
  const search = page.getByRole('combobox', { name: /Add to agents in the session/ });
  await search.click();
  await search.pressSequentially(agentName);
  await expect(page.getByRole('option', { name: new RegExp(agentName) })).toBeVisible();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('complementary', { name: 'Preview' })).toContainText(
    'candidate_name (string, required)',
  );
  await page.getByRole('button', { name: 'Create template' }).click();
  await expect(page.getByText(/^Version 1 · updated/)).toBeVisible();

  await page.getByRole('button', { name: 'Show what the runtime receives' }).click();
  const tryIt = page.getByRole('region', { name: 'Try it: the instructions with sample values' });
  await tryIt.getByRole('button', { name: 'Render the instructions' }).click();
  await expect(tryIt.getByLabel('candidate_name (required)')).toHaveAttribute('aria-invalid', 'true');
  await expect(tryIt.getByRole('alert')).toHaveText('Required');
  await tryIt.getByLabel('candidate_name (required)').fill('Ada');
  await tryIt.getByLabel('language').selectOption('de');
  await tryIt.getByRole('button', { name: 'Render the instructions' }).click();
  await expect(tryIt.getByRole('list', { name: 'Rendered instructions' })).toContainText(
    'Hello Ada, we speak de.',
  );
  await checkPage(page, 'template-variables-rendered');
});
