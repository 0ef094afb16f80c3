// Test helper: a glassbox server in a child process, for tests that kill it (crash-recovery.test.ts).
// Usage: node --conditions=development --import tsx test-child-server.ts '<options JSON>'
// The options are ApiServerOptions, plus `serveDefaults: true` to place the state as
// `glassbox serve` does with no flag (./glassbox-data/state.db under the working directory).
// Prints "listening <port>" once it serves on 127.0.0.1 (after the state line, with serveDefaults).
import { createApiServer } from './api-server.js';
import { prepareStateLocation, resolveStateLocation } from './state-location.js';
import { MODEL_DIR } from './test-server.js';

const { serveDefaults, ...options } = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
if (serveDefaults === true) {
  const state = resolveStateLocation({ env: process.env['GLASSBOX_STATE'] });
  await prepareStateLocation(state);
  options['statePath'] = state.path;
  process.stdout.write(`${state.description}\n`);
}
const server = await createApiServer({ modelDir: MODEL_DIR, workers: 0, ...options });
const { port } = await server.listen(0, '127.0.0.1');
process.stdout.write(`listening ${port}\n`);
process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
