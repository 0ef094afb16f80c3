// Test helper: a glassbox server in a child process, for tests that kill it (crash-recovery.test.ts).
// Usage: node --conditions=development --import tsx test-child-server.ts '<ApiServerOptions JSON>'
// Prints "listening <port>" once it serves on 127.0.0.1.
import { createApiServer } from './api-server.js';
import { MODEL_DIR } from './test-server.js';

const options = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
const server = await createApiServer({ modelDir: MODEL_DIR, workers: 0, ...options });
const { port } = await server.listen(0, '127.0.0.1');
process.stdout.write(`listening ${port}\n`);
process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
