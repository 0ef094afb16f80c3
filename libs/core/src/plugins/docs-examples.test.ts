import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPlugins } from './plugin-loader.js';
import { createPluginRegistries } from './plugin-registry.js';
import type { AbstentionPlugin, CalibratorPlugin, DriftStatisticPlugin, ObserverPlugin } from './plugin-types.js';

// Every worked example of docs/plugins.md (the ```js blocks with a default export) is loaded as a
// plugin file and run on a small input, so the documentation cannot drift from the contract.
const doc = readFileSync(fileURLToPath(new URL('../../../../docs/plugins.md', import.meta.url)), 'utf8');
const blocks = [...doc.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]).filter((code) => code.includes('export default'));
const dir = mkdtempSync(join(tmpdir(), 'glassbox-doc-plugins-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docs/plugins.md worked examples', () => {
  it('has one per kind, and each loads and registers', async () => {
    const files = blocks.map((code, i) => {
      const file = join(dir, `example-${i}.mjs`);
      writeFileSync(file, code);
      return file;
    });
    const registries = createPluginRegistries();
    await loadPlugins(files, { registries });
    const kinds = registries.list().map((p) => p.kind);
    for (const kind of ['explainer', 'calibrator', 'abstention', 'drift-statistic', 'observer']) expect(kinds).toContain(kind);

    const calibrator = registries.calibrator.get('smoothed-temperature') as CalibratorPlugin<{ epsilon: number }, unknown>;
    const logits = new Float32Array([4, 0, 0, 0, 4, 0, 0, 0, 4, 4, 0, 0]);
    const params = calibrator.fit({ logits, labels: [0, 1, 2, 1], numLabels: 3 }, { epsilon: 0.01 });
    const probs = calibrator.apply(params, logits, 3);
    for (let r = 0; r < 4; r++) expect(probs[3 * r] + probs[3 * r + 1] + probs[3 * r + 2]).toBeCloseTo(1, 5);

    const rule = registries.abstention.get('top-two-ratio') as AbstentionPlugin<{ ratio: number }>;
    expect(rule.decide([0.5, 0.45, 0.05], ['a', 'b', 'c'], { ratio: 0.8 })).toMatchObject({ abstain: true });
    expect(rule.decide([0.9, 0.05, 0.05], ['a', 'b', 'c'], { ratio: 0.8 })).toEqual({ abstain: false });

    const w1 = registries['drift-statistic'].get('wasserstein') as DriftStatisticPlugin<{ threshold: number }>;
    // All mass in the first bin vs all in the third: moved from edge 0.2 to edge 0.6.
    expect(w1.compute({ reference: [10, 0, 0, 0], current: [0, 0, 10, 0], edges: [0.2, 0.4, 0.6] }, { threshold: 0.05 })).toBeCloseTo(0.4, 12);
    expect(w1.compute({ reference: [1, 2, 3, 4], current: [2, 4, 6, 8], edges: [0.2, 0.4, 0.6] }, { threshold: 0.05 })).toBe(0);

    const observer = registries.observer.get('label-counter') as ObserverPlugin<{ every: number }>;
    expect(() => observer.observe({ label: 'joy' } as never, { every: 1000 })).not.toThrow();
  });
});
