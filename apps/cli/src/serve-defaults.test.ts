import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLE_CALIBRATION, BUNDLE_REFERENCE, bundleDefaults } from './commands/serve.js';
import { defaultModelDir } from './commands/shared.js';
import { useServe } from './test-serve.js';

/**
 * `glassbox serve` with no flag uses the embedded model's shipped calibration (with its certified
 * abstention rule) and drift reference, so every dashboard tab has data; flags opt out or replace
 * them, and a reference stored by an earlier start wins over the bundle's and is named at start.
 */

const work = mkdtempSync(join(tmpdir(), 'glassbox-serve-defaults-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const serve = useServe();
const MODEL = defaultModelDir();

const json = async (base: string, path: string, body?: unknown) => {
  const res = await fetch(`${base}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('glassbox serve: the model bundle\'s calibration and reference by default', () => {
  it('no flag: calibrated predictions with conformal sets and abstention, a calibration and a drift monitor', async () => {
    const { base, log } = await serve({});
    expect(log).toContain(`calibration: the model bundle's ${join(MODEL, BUNDLE_CALIBRATION)}, abstaining by certified`);
    expect(log).toMatch(new RegExp(`drift reference: the model bundle's .*${BUNDLE_REFERENCE} \\(\\d+ predictions\\); --reference FILE for another, --no-reference for none`));
    const predicted = await json(base, '/v1/predict', { inputs: ['I am furious and hurt', 'what a lovely morning'] });
    expect(predicted.status).toBe(200);
    expect(predicted.body['calibrated']).toBe(true);
    for (const p of predicted.body['predictions'] as Array<Record<string, unknown>>) {
      expect(Array.isArray(p.conformal_set)).toBe(true);
      expect(typeof p.abstained).toBe('boolean');
    }
    const calibration = await json(base, '/v1/calibration');
    expect(calibration.status).toBe(200);
    expect(calibration.body['method']).toBe('temperature');
    const monitor = await json(base, '/v1/monitor');
    expect(monitor.status).toBe(200);
  });

  it('--no-calibration and --no-reference: raw probabilities, no drift monitor, and the log names the flags to add', async () => {
    const { base, log } = await serve({ calibration: false, reference: false });
    expect(log).toContain('no calibration: raw probabilities');
    expect(log).toContain('give --calibration FILE');
    expect(log).toContain('no drift reference');
    expect(log).toContain('give --reference FILE');
    expect((await json(base, '/v1/predict', { inputs: ['fine'] })).body['calibrated']).toBe(false);
    expect((await json(base, '/v1/calibration')).status).toBe(404);
    expect((await json(base, '/v1/monitor')).status).toBe(404);
  });

  it('a reference given once is stored; a restart without a flag reuses it and says so; --no-reference ignores it', async () => {
    const state = join(work, 'state.db');
    const mine = join(work, 'mine.json');
    copyFileSync(join(MODEL, BUNDLE_REFERENCE), mine);
    const first = await serve({ state, reference: mine });
    expect(first.log).toContain(`drift reference: ${mine}`);
    expect(first.server.reference?.source).toBe('option');
    await first.server.close();
    const again = await serve({ state });
    expect(again.server.reference?.source).toBe('stored');
    expect(again.log).toMatch(/drift reference: the one an earlier start stored in .*state\.db \(\d+ predictions\); --reference FILE replaces it, --no-reference ignores it/);
    await again.server.close();
    const none = await serve({ state, reference: false });
    expect(none.server.reference).toBeNull();
    expect((await json(none.base, '/v1/monitor')).status).toBe(404);
  });

  it('applies to one fp32 model only, and never over a flag or the config', () => {
    const both = { calibration: join(MODEL, BUNDLE_CALIBRATION), reference: join(MODEL, BUNDLE_REFERENCE) };
    expect(bundleDefaults({}, [MODEL], {})).toEqual(both);
    expect(bundleDefaults({ variant: 'fp32' }, [MODEL], {})).toEqual(both);
    expect(bundleDefaults({ variant: 'quantized' }, [MODEL], {})).toEqual({ calibration: null, reference: null });
    expect(bundleDefaults({}, [MODEL, MODEL], {})).toEqual({ calibration: null, reference: null });
    expect(bundleDefaults({ calibration: 'x.json', reference: false }, [MODEL], {})).toEqual({ calibration: null, reference: null });
    expect(bundleDefaults({}, [MODEL], { calibrationPath: 'c.json', referencePath: 'r.json' })).toEqual({ calibration: null, reference: null });
    expect(bundleDefaults({}, [work], {})).toEqual({ calibration: null, reference: null });
  });
});
