import { describe, expect, it } from 'vitest';
import { openPgStateStore } from '@glassbox/monitor';
import { usePostgresForFile } from '@glassbox/monitor/testing';
import { cli } from './test-cli.js';

/** `glassbox monitor state postgres://…`: what a fleet's replicas share, read while they run. */

const postgres = usePostgresForFile();

describe.skipIf(postgres.missing !== null)('monitor state on PostgreSQL', () => {
  it('summarises audit rows per replica, heartbeats and calibration versions, as text and as JSON', async () => {
    const url = await postgres.database('cli');
    const replica = await openPgStateStore({ url, replicaId: 'replica-a' });
    try {
      const entry = { id: 'p1', time: '2026-01-01T00:00:00.000Z', model: 'm', model_id: 'sha256:m', calibration_id: null, calibrated: false };
      const served = { label: 'joy', score: 0.9, probabilities: { joy: 0.9, anger: 0.1 }, abstained: false, abstention_reason: null, truncated: false, feedback: null };
      await replica.audit.addAll([{ ...entry, ...served }]);
      await replica.saveCalibration('sha256:m', 'v1', { t: 1 });
      await replica.setActiveCalibration('sha256:m', 'v1');
      await replica.probe();
      const json = await cli('monitor', 'state', url, '--json');
      expect(json.code, json.stderr).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({
        driver: 'pg',
        auditRows: 1,
        replicas: [{ replica: 'replica-a', auditRows: 1, heartbeat: expect.any(String) }],
        models: [{ modelId: 'sha256:m', calibrations: ['v1'], activeCalibration: 'v1' }],
      });
      const text = await cli('monitor', 'state', url);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain('replica replica-a: 1 audit row(s)');
      expect(text.stdout).toContain('model sha256:m: calibrations v1 (active v1)');
    } finally {
      await replica.close();
    }
  }, 30_000);
});
