// A runtime's integration, as README.md shows it, compiled and run outside the repository.
import {
  createRuntime,
  type RuntimeSessionConfig,
  SwitchboardError,
  SwitchboardUnavailableError,
} from '@switchboard/runtime';

const url = process.env.SWITCHBOARD_URL!;
const sb = createRuntime({
  url,
  apiKey: process.env.SWITCHBOARD_KEY!,
  environment: 'production',
  snapshotFile: process.env.SNAPSHOT_FILE,
});
const templateId = process.env.TEMPLATE_ID!;
const cfg: RuntimeSessionConfig = await sb.sessionConfig(templateId, {
  sessionKey: 'call-42',
  variables: { candidate_name: 'Ada' },
});
sb.reportOutcome({
  templateId,
  release: cfg.release,
  sessionKey: 'call-42',
  status: 'completed',
  firstResponseMs: 640,
});
let refused = '';
try {
  await sb.sessionConfig(templateId, { variables: { shoe_size: 44 } });
} catch (error) {
  if (error instanceof SwitchboardError) refused = `${error.status} ${error.code}`;
}
let unavailable = '';
const offline = createRuntime({ url: 'http://127.0.0.1:9', apiKey: 'sbk_nothing', timeoutMs: 200 });
try {
  await offline.sessionConfig(templateId);
} catch (error) {
  if (error instanceof SwitchboardUnavailableError) unavailable = error.code;
}
await offline.close();
// @ts-expect-error: a session config takes a template id first.
void (() => sb.sessionConfig({ templateId }));
await sb.close();
console.log(
  JSON.stringify({
    rendered: cfg.agents[0]?.renderedInstructions,
    arm: cfg.release.arm,
    stale: cfg.stale,
    refused,
    unavailable,
    sent: sb.status().outcomes.sent,
  }),
);
