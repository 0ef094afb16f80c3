import * as d3 from 'd3';
import { api, ApiCallError, type Alarm, type MonitorStatus, type SeriesPoint, type Signal } from './api-client.js';
import { COLORS } from './charts/frame.js';
import { groupedBars } from './charts/grouped-bars.js';
import { lineChart } from './charts/line-chart.js';
import { ratioBars } from './charts/ratio-bars.js';
import { el, notice, num, pct, section, stat, table } from './dom.js';

export const POLL_MS = 3000;
const MAX_POLL_MS = 60_000;

/** The wait before the next poll after `failures` failed ones in a row: 3 s, then doubling to 60 s. */
export const pollDelay = (failures: number): number => Math.min(MAX_POLL_MS, POLL_MS * 2 ** failures);

const HISTOGRAM_SIGNALS = [
  ['confidence', 'confidence (top-class probability)'],
  ['margin', 'margin (top-1 minus top-2 probability)'],
  ['entropy', 'entropy (bits)'],
] as const;
const SIGNAL_COLORS: Record<string, string> = { confidence: '#2563eb', margin: '#d97706', entropy: '#16a34a', labels: '#9333ea' };

/** Bucket names from upper-inclusive boundaries: "≤0.2", "0.2–0.3", …, ">0.99". */
function bucketNames(bounds: readonly number[]): string[] {
  const f = (v: number) => String(+v.toFixed(3));
  return [...bounds.map((b, i) => (i === 0 ? `≤${f(b)}` : `${f(bounds[i - 1])}–${f(b)}`)), `>${f(bounds[bounds.length - 1] ?? 0)}`];
}

/** Shares per bucket name (counts as an array by bucket, or a record by label). */
function shares(counts: number[] | Record<string, number>, names: readonly string[]): Record<string, number> {
  const values = Array.isArray(counts) ? counts : names.map((n) => counts[n] ?? 0);
  const total = values.reduce((a, b) => a + b, 0);
  return Object.fromEntries(names.map((n, i) => [n, total > 0 ? (values[i] ?? 0) / total : 0]));
}

function referenceVsWindow(container: HTMLElement, title: string, sig: Signal, names: readonly string[], xLabel: string): void {
  const reference = shares(sig.reference_counts, names);
  const current = shares(sig.window_counts, names);
  groupedBars(container, {
    title,
    categories: names,
    series: [
      { name: 'reference', color: COLORS.reference, values: reference },
      { name: 'current window', color: COLORS.window, values: current },
    ],
    xLabel,
    yLabel: 'share of predictions',
    yMax: Math.max(0.1, ...Object.values(reference), ...Object.values(current)),
  });
}

/**
 * Each signal's PSI alarm threshold at a full window: the calibrated one (or, with per-window
 * tests, the current decision's), never below the PSI effect floor.
 */
function psiThresholds(s: MonitorStatus): Array<{ name: string; color: string; value: number }> {
  return Object.entries(s.signals).flatMap(([name, sig]) => {
    const decision = sig.decisions.find((d) => d.statistic === 'psi');
    const calibrated = s.run_length?.thresholds[name]?.psi;
    const value = Math.max(calibrated ?? decision?.threshold ?? NaN, decision?.effect.floor ?? 0);
    return Number.isFinite(value) ? [{ name, color: SIGNAL_COLORS[name] ?? COLORS.raw, value }] : [];
  });
}

export function driftView(root: HTMLElement): { refresh(): void; stop(): void } {
  const live = el('p', { class: 'live', attrs: { id: 'drift-live', 'aria-live': 'polite' } });
  const body = el('div', { attrs: { id: 'drift-body' } }, [notice('info', 'Loading the drift monitor…')]);
  root.append(live, body);
  let timer: number | undefined;
  let built = false;
  const parts = {
    stats: el('div', { class: 'stats', attrs: { id: 'drift-stats' } }),
    ratio: el('div', { class: 'chart-box', attrs: { id: 'drift-ratio-chart' } }),
    signals: el('div', { attrs: { id: 'drift-signals' } }),
    alarms: el('ol', { class: 'alarms', attrs: { id: 'drift-alarms' } }),
    alarmNote: el('p', { class: 'muted' }),
    confidence: el('div', { class: 'chart-box', attrs: { id: 'drift-confidence' } }),
    margin: el('div', { class: 'chart-box', attrs: { id: 'drift-margin' } }),
    entropy: el('div', { class: 'chart-box', attrs: { id: 'drift-entropy' } }),
    labels: el('div', { class: 'chart-box', attrs: { id: 'drift-labels' } }),
    histNote: el('p', { class: 'muted' }),
    psi: el('div', { class: 'chart-box', attrs: { id: 'drift-psi-series' } }),
    js: el('div', { class: 'chart-box', attrs: { id: 'drift-js-series' } }),
    shares: el('div', { class: 'chart-box', attrs: { id: 'drift-label-series' } }),
    seriesNote: el('p', { class: 'muted' }),
  };

  const build = () => {
    body.replaceChildren(
      el('div', { class: 'grid' }, [
        el('div', { class: 'col wide' }, [
          section('Window against reference', parts.stats),
          section('Drift statistics', parts.ratio, parts.signals),
          section('Reference against current window', parts.histNote, parts.confidence, parts.margin, parts.entropy, parts.labels),
          section('Drift over time', parts.seriesNote, parts.psi, parts.js, parts.shares),
        ]),
        el('div', { class: 'col' }, [section('Alarms', parts.alarmNote, parts.alarms)]),
      ]),
    );
    built = true;
  };

  const render = (s: MonitorStatus, alarms: Alarm[], points: SeriesPoint[]) => {
    if (!built) build();
    const active = new Set(s.alarms.map((a) => `${a.signal}/${a.statistic}`));
    const below = s.window < s.min_samples;
    const feedback = s.labelled > 0;
    parts.stats.replaceChildren(
      stat(
        'window',
        `${s.window} / ${s.window_size}${below ? ` (< ${s.min_samples}: no alarms)` : ''}`,
        `Predictions in the sliding window; windows under ${s.min_samples} predictions never alarm`,
      ),
      stat(
        'expected run length',
        s.run_length ? `${s.run_length.expected_run_length.toLocaleString('en-US')} predictions` : 'per-window tests',
        s.run_length
          ? `Thresholds calibrated so that, under no drift, the whole monitor (${s.run_length.tests} signal × statistic tests) raises a false alarm at most once per this many predictions on average (window ${s.run_length.window})`
          : 'Each window is tested at alpha 0.001: no stated false-alarm rate per stream',
      ),
      stat('observed', String(s.observed)),
      stat('reference n', String(s.reference.n)),
      stat('reference confidence', pct(s.reference.mean_confidence)),
      stat('estimated accuracy', pct(s.estimated_accuracy), 'CBPE: mean top-class probability over the window'),
      stat(
        'realized accuracy',
        feedback && s.realized_accuracy !== null ? `${pct(s.realized_accuracy)} (n = ${s.labelled})` : '–',
        feedback ? `Over the ${s.labelled} window predictions with feedback` : 'No feedback yet: send labels to POST /v1/feedback',
      ),
      stat('accuracy gap', feedback && s.accuracy_gap !== null ? pct(s.accuracy_gap) : '–', 'Mean confidence minus accuracy over the predictions with feedback (> 0: over-confident)'),
      stat('active alarms', String(s.alarms.length)),
    );
    const rows = Object.entries(s.signals).flatMap(([name, sig]) =>
      sig.decisions.map((d) => ({ name: `${name} · ${d.statistic}`, value: d.value, threshold: d.threshold, alarm: d.alarm })),
    // JSON turns a non-finite value or threshold (a statistic undefined on a tiny window) into null.
    ).filter((r) => Number.isFinite(r.value) && Number.isFinite(r.threshold));
    if (s.window === 0) parts.ratio.replaceChildren(notice('empty', 'The window is empty', 'Statistics appear once predictions are served.'));
    else if (below) parts.ratio.replaceChildren(notice('info', `${s.window} of ${s.min_samples} predictions`, `Windows under ${s.min_samples} predictions never alarm: too few for any test.`));
    else ratioBars(parts.ratio, rows);
    parts.signals.replaceChildren(
      table(
        ['signal', 'PSI', 'JS distance', 'KS', 'χ² p', 'decisions'],
        Object.entries(s.signals).map(([name, sig]) => [
          el('span', { class: `pill ${sig.alarm ? 'pill-alarm' : 'pill-ok'}`, text: name }),
          num(sig.psi),
          num(sig.js_distance),
          num(sig.ks),
          num(sig.chi_square.p_value, 4),
          sig.decisions.map((d) => `${d.statistic} ${num(d.value)} / ${num(d.threshold)}${active.has(`${name}/${d.statistic}`) || d.alarm ? ' ⚠' : ''}`).join('; '),
        ]),
      ),
    );
    parts.alarmNote.textContent = alarms.length === 0 ? 'No alarm since start.' : `${alarms.length} alarm(s) since start, newest first; ${s.alarms.length} active now.`;
    parts.alarms.replaceChildren(
      ...alarms.map((a) =>
        el('li', { class: 'alarm' }, [
          el('div', {}, [el('strong', { text: `${a.signal} · ${a.statistic}` }), el('span', { class: 'muted', text: `  ${new Date(a.time).toLocaleTimeString()} · #${a.index}` })]),
          el('div', { text: `${num(a.value)} ≥ ${num(a.threshold)}` }),
          el('div', { class: 'muted', text: a.reason }),
        ]),
      ),
    );
    parts.histNote.textContent = `Share of predictions per bucket: the reference profile (n = ${s.reference.n}) against the ${s.window} predictions in the window.`;
    for (const [name, xLabel] of HISTOGRAM_SIGNALS) {
      const sig = s.signals[name];
      if (sig && sig.buckets.length > 0) referenceVsWindow(parts[name], `${name}: reference against current window`, sig, bucketNames(sig.buckets), xLabel);
      else parts[name].replaceChildren();
    }
    const labelSig = s.signals['labels'];
    if (labelSig && !Array.isArray(labelSig.reference_counts)) {
      referenceVsWindow(parts.labels, 'predicted labels: reference against current window', labelSig, Object.keys(labelSig.reference_counts), 'predicted label');
    } else parts.labels.replaceChildren();

    if (points.length === 0) {
      parts.seriesNote.textContent = 'No points yet: one is taken every 20 predictions, and on each refresh (at most one a second).';
      parts.psi.replaceChildren();
      parts.js.replaceChildren();
      parts.shares.replaceChildren();
      return;
    }
    parts.seriesNote.textContent = `${points.length} point(s) since ${new Date(points[0].time).toLocaleTimeString()}, a point every 20 predictions or refresh.`;
    const times = points.map((p) => new Date(p.time));
    const signals = Object.keys(points[points.length - 1].psi) as Array<keyof SeriesPoint['psi']>;
    const perSignal = (key: 'psi' | 'js') => signals.map((name) => ({ name, color: SIGNAL_COLORS[name] ?? COLORS.raw, values: points.map((p) => p[key][name] ?? null) }));
    const shaded = { points: points.map((p) => p.window < s.min_samples), title: `window under ${s.min_samples} predictions: no alarm possible` };
    lineChart(parts.psi, { title: 'PSI over time, per signal (dashed: alarm threshold at a full window)', times, series: perSignal('psi'), xLabel: 'time', yLabel: 'PSI', yMin: 0.1, thresholds: psiThresholds(s), shaded });
    lineChart(parts.js, { title: 'JS distance over time, per signal', times, series: perSignal('js'), xLabel: 'time', yLabel: 'JS distance (base 2)', yMin: 0.1, shaded });
    const labels = Object.keys(points[points.length - 1].label_shares);
    const palette = d3.schemeTableau10;
    lineChart(parts.shares, {
      title: 'Predicted-label shares over time',
      times,
      series: labels.map((name, i) => ({ name, color: palette[i % palette.length], values: points.map((p) => p.label_shares[name] ?? null) })),
      xLabel: 'time',
      yLabel: 'share of window predictions',
      yFormat: '.0%',
    });
  };

  /** Consecutive failed polls: each doubles the wait, up to MAX_POLL_MS, and the indicator says why. */
  let failures = 0;
  const load = async (): Promise<boolean> => {
    try {
      const [s, h] = await Promise.all([api.monitor(), api.history(50)]);
      // After /v1/monitor, which may have added a point.
      const series = await api.series().catch(() => null);
      render(s, h.alarms, series?.points ?? []);
      failures = 0;
      live.className = 'live';
      live.textContent = `Updates live every ${POLL_MS / 1000} s · last update ${new Date().toLocaleTimeString()}`;
      return true;
    } catch (error) {
      built = false;
      failures++;
      const wait = pollDelay(failures);
      const notConfigured = error instanceof ApiCallError && error.status === 404;
      if (notConfigured) {
        body.replaceChildren(
          notice(
            'empty',
            'No drift monitor on this server',
            'It was started without a drift reference (`glassbox serve --no-reference`, or a model without a bundled reference.json). Build one with `glassbox monitor reference --data FILE --out reference.json` and restart with `glassbox serve --reference reference.json`.',
          ),
        );
      } else {
        body.replaceChildren(notice('error', 'Could not load the drift monitor', String(error instanceof Error ? error.message : error)));
      }
      live.className = 'live live-waiting';
      live.textContent = `${notConfigured ? 'No drift monitor: it needs a restart with --reference FILE' : 'Request failed'}; checking again in ${wait / 1000} s (backing off) · last try ${new Date().toLocaleTimeString()}`;
      return false;
    }
  };

  const schedule = (delay: number) => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => {
      void load().then(() => {
        if (timer !== undefined) schedule(pollDelay(failures));
      });
    }, delay);
  };

  return {
    refresh() {
      window.clearTimeout(timer);
      timer = -1;
      void load().then(() => {
        if (timer !== undefined) schedule(pollDelay(failures));
      });
    },
    stop() {
      window.clearTimeout(timer);
      timer = undefined;
    },
  };
}
