/** A glassbox API server on 127.0.0.1 for the benchmarks: quiet, errors collected, closed by the caller. */
import { createApiServer, type ApiServer, type ApiServerOptions } from '@glassbox/api';

export interface StartedServer {
  server: ApiServer;
  base: string;
}

/** Starts `createApiServer` with `options` on a free loopback port; its errors go to `errors`. */
export async function startServer(options: ApiServerOptions, errors: unknown[]): Promise<StartedServer> {
  const server = await createApiServer({ log: { write: () => true }, onError: (error) => errors.push(error), ...options });
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, base: `http://127.0.0.1:${port}` };
}

/** `/v1/predict` bodies, one text each. */
export function predictBodies(texts: readonly string[]): string[] {
  return texts.map((text) => JSON.stringify({ inputs: text }));
}
