/**
 * The least an HTTP classification server can do, as a floor for the API's own overhead: node:http
 * on 127.0.0.1, one JSON body in, `engine.classify` in process (no worker hop, no validation,
 * admission, audit or monitor), one JSON answer out. Not a product: the benchmarks only.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InferenceEngine } from '@glassbox/core';

export interface MinimalServer {
  base: string;
  close(): Promise<void>;
}

/** Serves POST (any path) `{"inputs": "text"}` with `{label, score, probabilities}` from `engine`. */
export async function startMinimalServer(engine: InferenceEngine): Promise<MinimalServer> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { inputs } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { inputs: string };
      engine.classify(inputs).then(
        ([p]) => {
          const body = JSON.stringify({ label: p.label, score: p.score, probabilities: p.probabilities });
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
        },
        (error: Error) => res.writeHead(500).end(error.message),
      );
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
