/**
 * The server the browser tests drive: the real app on a fresh database (PGlite, or a new
 * PostgreSQL database when DATABASE_URL is set), serving the built dashboard, with the demo data
 * seeded through the typed client. Playwright starts it (playwright.config.ts) and stops it.
 */
import { DEMO_PASSWORD, seed } from '@switchboard/seed';
import { startTestApp } from '@switchboard/server/testing';

const port = Number(process.env.E2E_PORT ?? 4173);
// Guards are judged every second, so a breach shows within the test.
const server = await startTestApp({ config: { port, guardIntervalMs: 1000 } });
await seed({
  url: server.url,
  adminEmail: 'admin@example.com',
  adminPassword: DEMO_PASSWORD,
  memberEmail: 'member@example.com',
  memberPassword: DEMO_PASSWORD,
});
console.log(`e2e server on ${server.url}`);

const stop = async () => {
  await server.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
