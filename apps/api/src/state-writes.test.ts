import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '@glassbox/monitor';
import { ApiError } from './api-errors.js';
import { createStateWrites, observeStateWrites } from './state-writes.js';

function setup(retryAfterSeconds?: number) {
  const lines: Array<{ level: string; event: string; msg: string; failures?: number }> = [];
  const disk = { full: false, probes: 0 };
  const writes = createStateWrites({
    probe: () => {
      disk.probes++;
      if (disk.full) throw new Error('database or disk is full');
    },
    log: { write: (line: string) => lines.push(JSON.parse(line)) },
    ...(retryAfterSeconds !== undefined && { retryAfterSeconds }),
  });
  const write = () =>
    writes.run(() => {
      if (disk.full) throw new Error('cannot write audit rows in /srv/state.db: database or disk is full');
      return 'stored';
    });
  return { writes, lines, disk, write };
}

describe('createStateWrites', () => {
  it('passes results through and probes nothing while writes work', () => {
    const { writes, lines, disk, write } = setup();
    expect(write()).toBe('stored');
    expect(writes.check()).toBe(true);
    expect(writes).toMatchObject({ failing: false, failures: 0 });
    expect(disk.probes).toBe(0);
    expect(lines).toEqual([]);
  });

  it('refuses a failed write with 503 AUDIT_WRITE_FAILED and Retry-After, without the driver message or paths', () => {
    const { disk, write } = setup(7);
    disk.full = true;
    let refusal: unknown;
    try {
      write();
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(ApiError);
    expect(refusal).toMatchObject({ code: 'AUDIT_WRITE_FAILED', status: 503, headers: { 'Retry-After': '7' } });
    expect((refusal as Error).message).not.toMatch(/\/srv|disk is full/);
  });

  it('logs one line when writes start failing and one when a probe succeeds, however many requests fail between', () => {
    const { writes, lines, disk, write } = setup();
    disk.full = true;
    for (let i = 0; i < 50; i++) expect(write).toThrow(ApiError);
    writes.record(new Error('cannot write observations: database or disk is full'));
    expect(writes.check()).toBe(false); // the probe fails too
    expect(writes).toMatchObject({ failing: true, failures: 51 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'error',
      event: 'glassbox.state.writes_failing',
      msg: 'state writes failing: cannot write audit rows in /srv/state.db: database or disk is full',
    });

    disk.full = false;
    expect(writes.check()).toBe(true);
    expect(writes.failing).toBe(false);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: 'info', event: 'glassbox.state.writes_recovered', msg: 'state writes recovered after 51 failures', failures: 51 });

    // A new condition is a new pair of lines, counted from zero.
    disk.full = true;
    expect(write).toThrow(ApiError);
    disk.full = false;
    expect(write()).toBe('stored');
    expect(lines.map((l) => l.msg)).toEqual([
      'state writes failing: cannot write audit rows in /srv/state.db: database or disk is full',
      'state writes recovered after 51 failures',
      'state writes failing: cannot write audit rows in /srv/state.db: database or disk is full',
      'state writes recovered after 1 failures',
    ]);
    expect(writes.failures).toBe(52);
  });

  it('stays failing after a write that fits while the probe still finds no room (no flapping on a nearly full disk)', () => {
    const { writes, lines, disk } = setup();
    disk.full = true;
    writes.record(new Error('full'));
    expect(writes.run(() => 'a short row that fit')).toBe('a short row that fit');
    writes.record(null);
    expect(writes.failing).toBe(true);
    expect(lines).toHaveLength(1);
    disk.full = false;
    writes.record(null);
    expect(writes.failing).toBe(false);
  });

  it('without a probe (state in memory), the next successful write ends the condition', () => {
    const lines: string[] = [];
    const writes = createStateWrites({ probe: null, log: { write: (l: string) => lines.push(l) } });
    writes.record(new Error('boom'));
    expect(writes.failing).toBe(true);
    expect(writes.check()).toBe(true);
    expect(lines).toHaveLength(2);
  });

  it('shows the failure counter and the failing gauge on /metrics', async () => {
    const { writes, disk, write } = setup();
    const registry = createMetricsRegistry({ env: false });
    try {
      observeStateWrites(registry.meter(), writes, (e) => {
        throw e;
      });
      const value = async (name: string) => {
        const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(await registry.metricsText());
        return match ? Number(match[1]) : null;
      };
      expect(await value('glassbox_state_write_failures_total')).toBe(0);
      expect(await value('glassbox_state_writes_failing')).toBe(0);
      disk.full = true;
      for (let i = 0; i < 3; i++) expect(write).toThrow(ApiError);
      expect(await value('glassbox_state_write_failures_total')).toBe(3);
      expect(await value('glassbox_state_writes_failing')).toBe(1);
      disk.full = false;
      writes.check();
      expect(await value('glassbox_state_writes_failing')).toBe(0);
      expect(await value('glassbox_state_write_failures_total')).toBe(3);
    } finally {
      await registry.shutdown();
    }
  });
});
