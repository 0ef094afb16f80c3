import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { miniNoAttentionsDir } from '../test-support.js';
import { createOnnxSession } from './ort.js';

const feeds = {
  input_ids: { data: new BigInt64Array([0n, 100n, 2n]), dims: [1, 3] },
  attention_mask: { data: new BigInt64Array([1n, 1n, 1n]), dims: [1, 3] },
};

describe('createOnnxSession profiling', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a trace of operator runs under profilePrefix when endProfiling is called', async () => {
    dir = mkdtempSync(join(tmpdir(), 'glassbox-ort-profile-'));
    const session = await createOnnxSession(`${miniNoAttentionsDir}/model.onnx`, { intraOpThreads: 1, profilePrefix: join(dir, 'trace') });
    try {
      await session.run(feeds, ['logits']);
      session.endProfiling?.();
    } finally {
      await session.dispose();
    }
    const files = readdirSync(dir).filter((f) => f.startsWith('trace') && f.endsWith('.json'));
    expect(files).toHaveLength(1);
    const events = JSON.parse(readFileSync(join(dir, files[0]), 'utf8')) as Array<{ cat: string; args?: { op_name?: string } }>;
    expect(events.some((e) => e.cat === 'Node' && e.args?.op_name === 'MatMul')).toBe(true);
  });
});
