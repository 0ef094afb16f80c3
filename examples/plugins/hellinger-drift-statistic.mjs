// A third-party drift statistic for glassbox: the Hellinger distance between the window's and the
// reference's histograms, on every signal (bucketed confidence, margin, entropy and label counts).
// A single self-contained file: a plain object as default export, no imports.
//
//   glassbox monitor replay --reference ref.json --data traffic.tsv --plugin ./hellinger-drift-statistic.mjs --json
//   glassbox serve --config server.json     # with { "plugins": ["./hellinger-drift-statistic.mjs"], ... }
//
// It then appears in /v1/monitor (signals.*.statistics.hellinger, decisions), in the statistic enums
// of /openapi.json, and as the gauge glassbox_drift_hellinger.

const shares = (counts) => {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total > 0 ? c / total : 0));
};

export default {
  kind: 'drift-statistic',
  name: 'hellinger',
  description: 'Hellinger distance sqrt(1 - sum sqrt(p q)) of the shares, in [0, 1]; alarms above its threshold option.',
  signals: ['numeric', 'categorical'],
  options: {
    // No alarmThreshold function: the monitor alarms when the value exceeds `threshold` (and
    // `floor`), once the window holds at least minSamples predictions.
    threshold: { type: 'number', default: 0.25, minimum: 0, maximum: 1, description: 'Alarm above this distance.' },
  },
  compute({ current, reference }) {
    const p = shares(current);
    const q = shares(reference);
    let affinity = 0;
    for (let i = 0; i < p.length; i++) affinity += Math.sqrt(p[i] * q[i]);
    return p.some((x) => x > 0) && q.some((x) => x > 0) ? Math.sqrt(Math.max(0, 1 - affinity)) : 0;
  },
};
