// Test helpers for the drift monitor's tests: one simulated reference and a setup that shuts
// every monitor and metric reader down after each test.
import { mulberry32 } from '@glassbox/core';
import { afterEach } from 'vitest';
import { createDriftMonitor } from './drift-monitor.js';
import type { DriftMonitor } from './drift-types.js';
import { buildReferenceProfile } from './reference-profile.js';
import type { TestMetrics } from './test-metrics.js';
import { createTestMetrics } from './test-metrics.js';
import { LABELS, simulateProbabilities } from './test-simulation.js';

export const MODEL_ID = 'sha256:test-model';
export const reference = buildReferenceProfile(
  Array.from({ length: 2000 }, ((rng) => () => simulateProbabilities(rng))(mulberry32(11))),
  LABELS,
  MODEL_ID,
);
export const ONE_HOT_JOY = [0, 0, 0, 1, 0, 0, 0];

export type MonitorSetup = (options?: Partial<Parameters<typeof createDriftMonitor>[0]>) => { metrics: TestMetrics; monitor: DriftMonitor; errors: unknown[] };

/** A `setup(options)` for the calling test file: a monitor on `reference` with test metrics, closed after each test. */
export function useDriftMonitorSetup(): MonitorSetup {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanup.length > 0) await cleanup.pop()?.();
  });
  return (options = {}) => {
    const metrics = createTestMetrics();
    const errors: unknown[] = [];
    const monitor = createDriftMonitor({ reference, meter: metrics.meter, onError: (e) => errors.push(e), ...options });
    cleanup.push(() => monitor.shutdown(), () => metrics.shutdown());
    return { metrics, monitor, errors };
  };
}
