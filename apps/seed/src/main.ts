/**
 * `pnpm seed [--url URL] [--admin-email E] [--admin-password P] [--member-email E] [--member-password P]`
 * Env: SWITCHBOARD_URL, SEED_ADMIN_EMAIL, SEED_ADMIN_PASSWORD, SEED_MEMBER_EMAIL, SEED_MEMBER_PASSWORD.
 */
import { parseArgs } from 'node:util';
import { DEMO_PASSWORD, SeedError, seed } from './seed';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    'admin-email': { type: 'string' },
    'admin-password': { type: 'string' },
    'member-email': { type: 'string' },
    'member-password': { type: 'string' },
  },
});

/** A flag wins over its environment variable (an empty one counts as unset), which wins over the default. */
const pick = (flag: string | undefined, variable: string, fallback: string) =>
  flag ?? (process.env[variable] || fallback);
const options = {
  url: pick(values.url, 'SWITCHBOARD_URL', 'http://127.0.0.1:3000'),
  adminEmail: pick(values['admin-email'], 'SEED_ADMIN_EMAIL', 'admin@example.com'),
  adminPassword: pick(values['admin-password'], 'SEED_ADMIN_PASSWORD', DEMO_PASSWORD),
  memberEmail: pick(values['member-email'], 'SEED_MEMBER_EMAIL', 'member@example.com'),
  memberPassword: pick(values['member-password'], 'SEED_MEMBER_PASSWORD', DEMO_PASSWORD),
};

/** Only the documented demo password is ever printed; a password someone chose never is. */
const shown = (password: string) => (password === DEMO_PASSWORD ? password : '(the password you gave)');

try {
  const result = await seed(options);
  for (const step of result.steps) {
    console.log(
      `${step.created ? 'created' : 'found  '}  ${step.what.padEnd(16)} ${step.name}  (${step.id})`,
    );
  }
  const created = result.steps.filter((step) => step.created).length;
  console.log(
    created
      ? `seeded ${options.url}: ${created} created`
      : `nothing to create: ${options.url} already has the demo data`,
  );
  console.log(`log in as ${options.adminEmail} / ${shown(options.adminPassword)} (admin)`);
  console.log(
    result.memberPasswordWorks
      ? `log in as ${options.memberEmail} / ${shown(options.memberPassword)} (member)`
      : `log in as ${options.memberEmail} (member; its password was set earlier and is not the one given)`,
  );
} catch (error) {
  console.error(`seed: ${error instanceof SeedError ? error.message : String(error)}`);
  process.exit(1);
}
