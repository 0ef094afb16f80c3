import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from './prometheus.js';
import { createStateWriteHealth, observeStateWriteHealth } from './state-write-health.js';

function setup() {
  const lines: Array<{ event: string; msg: string }> = [];
  const disk = { full: false, probes: 0 };
  const health = createStateWriteHealth({
    probe: () => {
      disk.probes++;
      if (disk.full) throw new Error('database or disk is full');
    },
    log: { write: (line: string) => lines.push(JSON.parse(line)) },
  });
  const write = () =>
    health.attempt(() => {
      if (disk.full) throw new Error('SQLITE_FULL');
      return 'stored';
    });
  return { health, lines, disk, write };
}

describe('createStateWriteHealth', () => {
  it('rethrows a failed write as it came, logs one line per condition and recovers at the first probe that succeeds', () => {
    const { health, lines, disk, write } = setup();
    expect(write()).toBe('stored');
    disk.full = true;
    expect(write).toThrow('SQLITE_FULL');
    expect(write).toThrow('SQLITE_FULL');
    health.record(new Error('observations: SQLITE_FULL'));
    expect(health).toMatchObject({ failing: true, failures: 3 });
    expect(health.check()).toBe(false); // the probe fails too
    disk.full = false;
    expect(health.check()).toBe(true);
    expect(lines.map((l) => l.event)).toEqual(['glassbox.state.writes_failing', 'glassbox.state.writes_recovered']);
    expect(lines[1].msg).toBe('state writes recovered after 3 failures');
  });

  it('exports the failure counter and the failing gauge under their Prometheus names', async () => {
    const { health, disk, write } = setup();
    const metrics = createMetricsRegistry();
    observeStateWriteHealth(metrics.meter(), health, (e) => {
      throw e;
    });
    disk.full = true;
    expect(write).toThrow();
    const text = await metrics.metricsText();
    expect(text).toMatch(/^glassbox_state_write_failures_total(\{[^}]*\})? 1$/m);
    expect(text).toMatch(/^glassbox_state_writes_failing(\{[^}]*\})? 1$/m);
    await metrics.shutdown();
  });
});
