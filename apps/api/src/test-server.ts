import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { buildReferenceProfile, type ReferenceProfile } from '@glassbox/monitor';
import { createApiServer, type ApiServer } from './api-server.js';
import type { ApiServerOptions } from './api-options.js';

/** The bundled test model, models/emotion-mini at the repository root. */
export const MODEL_DIR = fileURLToPath(new URL('../../../models/emotion-mini', import.meta.url));
export const MODEL_B_DIR = fileURLToPath(new URL('../../../models/emotion-mini-b', import.meta.url));
export const LABELS = ['anger', 'disgust', 'fear', 'joy', 'neutral', 'sadness', 'surprise'];

/** JSON over HTTP to a server at `base`. */
export interface TestClient {
  base: string;
  /** Sends JSON (a string body is sent as is) and returns status, headers and parsed body. */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<TestResponse>;
  get(path: string, headers?: Record<string, string>): Promise<TestResponse>;
}

export interface TestServer extends TestClient {
  server: ApiServer;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

async function read(res: Response): Promise<TestResponse> {
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body };
}

/** Starts a server on 127.0.0.1, port 0, with one worker unless told otherwise. */
/**
 * A server on a free loopback port. Its drift monitor runs per-window tests unless the test asks
 * for a run length (`expectedRunLength`): calibrating at every start would cost each test file
 * seconds of simulation for nothing it checks.
 */
export async function startTestServer(options: Partial<ApiServerOptions> = {}): Promise<TestServer> {
  const server = await createApiServer({ modelDir: options.modelDirs ? undefined : MODEL_DIR, workers: 1, expectedRunLength: null, ...options } as ApiServerOptions);
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, ...testClient(`http://127.0.0.1:${port}`) };
}

/** A client of the server at `base` (one started here, or in another process). */
export function testClient(base: string): TestClient {
  return {
    base,
    async post(path, body, headers = {}) {
      const res = await fetch(base + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return read(res);
    },
    async get(path, headers = {}) {
      return read(await fetch(base + path, { headers }));
    },
  };
}

/** Sums an object's or array's numbers. */
export function sum(values: Record<string, number> | readonly number[]): number {
  return (Array.isArray(values) ? values : Object.values(values)).reduce((a: number, b: number) => a + b, 0);
}

/** A reference profile of the test model: its predictions on `texts`, from an unmonitored server. */
export async function referenceFor(texts: readonly string[]): Promise<ReferenceProfile> {
  const plain = await startTestServer();
  try {
    const predictions: Array<{ id: string; probabilities: Record<string, number> }> = [];
    for (let i = 0; i < texts.length; i += 50) {
      const res = await plain.post('/v1/predict', { inputs: texts.slice(i, i + 50) });
      if (res.status !== 200) throw new Error(`predict answered ${res.status}: ${res.text}`);
      predictions.push(...res.body.predictions);
    }
    const audited = await plain.get(`/v1/predictions/${predictions[0].id}`);
    return buildReferenceProfile(predictions, LABELS, audited.body.model_id);
  } finally {
    await plain.server.close();
  }
}

/** A scratch directory with a reference profile in it, for a test file. */
export interface ScratchWithReference {
  readonly dir: string;
  /** reference.json in `dir`: the test model's profile of the given texts. */
  readonly referencePath: string;
}

/** For the calling test file: a scratch directory holding reference.json, made before all its tests and removed after. */
export function useScratchWithReference(prefix: string, texts: () => string[]): ScratchWithReference {
  const scratch = { dir: '', referencePath: '' };
  beforeAll(async () => {
    scratch.dir = await mkdtemp(join(tmpdir(), prefix));
    scratch.referencePath = join(scratch.dir, 'reference.json');
    await writeFile(scratch.referencePath, JSON.stringify(await referenceFor(texts())));
  });
  afterAll(async () => {
    if (scratch.dir) await rm(scratch.dir, { recursive: true, force: true });
  });
  return scratch;
}

/** Subjects and feelings that test texts combine (every label of the test model among them). */
export const TEST_SUBJECTS = ['my brother', 'the new boss', 'our neighbour', 'the team', 'my best friend', 'the landlord'];
export const TEST_FEELINGS = [
  'made me so angry today',
  'sent me a lovely gift, I am thrilled',
  'is moving away and I feel so alone',
  'left rotten food everywhere, disgusting',
  'scared me half to death last night',
  'did something I never expected, wow',
  'will be at the meeting at three',
];
