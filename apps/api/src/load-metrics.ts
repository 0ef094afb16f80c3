import type { ApiMeter } from './api-options.js';

/** The counter of refused requests, as created (Prometheus shows glassbox_requests_shed_total). */
export const SHED_METRIC = 'glassbox.requests.shed';

/** Error codes that mean "refused for load", and the `reason` attribute each is counted under. */
const SHED_REASONS: Readonly<Record<string, string>> = {
  OVERLOADED: 'overloaded',
  RATE_LIMITED: 'rate_limited',
};

/**
 * Counts requests shed for load (503 OVERLOADED, 429 RATE_LIMITED) by reason. Returns a function
 * that takes any error code and counts the shed ones; a broken meter is reported once and
 * never fails a request.
 */
export function createShedCounter(meter: ApiMeter, onError: (error: unknown) => void): (errorType: string) => void {
  let counter: { add(value: number, attributes?: Record<string, string>): void } | null = null;
  try {
    counter = meter.createCounter(SHED_METRIC, { description: 'Requests refused for load: queue full (overloaded) or over the per-client rate limit (rate_limited).', unit: '{request}' });
  } catch (error) {
    onError(error);
  }
  return (errorType) => {
    const reason = SHED_REASONS[errorType];
    if (!reason || !counter) return;
    try {
      counter.add(1, { reason });
    } catch (error) {
      onError(error);
      counter = null;
    }
  };
}
