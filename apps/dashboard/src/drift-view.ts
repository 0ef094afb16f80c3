import * as d3 from 'd3';
import { api, ApiCallError, type Alarm, type AuditEntry, type MonitorStatus } from './api-client.js';
import { COLORS } from './charts/frame.js';
import { groupedBars } from './charts/grouped-bars.js';
import { histogram } from './charts/histogram.js';
import { ratioBars } from './charts/ratio-bars.js';
import { el, notice, num, pct, section, stat, table } from './dom.js';

export const POLL_MS = 3000;

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
    labels: el('div', { class: 'chart-box', attrs: { id: 'drift-labels' } }),
    sampleNote: el('p', { class: 'muted' }),
  };

  const build = () => {
    body.replaceChildren(
      el('div', { class: 'grid' }, [
        el('div', { class: 'col wide' }, [
          section('Window against reference', parts.stats),
          section('Drift statistics', parts.ratio, parts.signals),
          section('Recent predictions', parts.sampleNote, parts.confidence, parts.labels),
        ]),
        el('div', { class: 'col' }, [section('Alarms', parts.alarmNote, parts.alarms)]),
      ]),
    );
    built = true;
  };

  const render = (s: MonitorStatus, alarms: Alarm[], recent: AuditEntry[]) => {
    if (!built) build();
    const active = new Set(s.alarms.map((a) => `${a.signal}/${a.statistic}`));
    parts.stats.replaceChildren(
      stat('window', `${s.window} / ${s.window_size}`, 'Predictions in the sliding window'),
      stat('observed', String(s.observed)),
      stat('reference n', String(s.reference.n)),
      stat('reference confidence', pct(s.reference.mean_confidence)),
      stat('estimated accuracy', pct(s.estimated_accuracy), 'CBPE: mean top-class probability over the window'),
      stat('realized accuracy', pct(s.realized_accuracy), `Over ${s.labelled} window predictions with feedback`),
      stat('accuracy gap', s.accuracy_gap === null ? '–' : pct(s.accuracy_gap), 'Mean confidence minus accuracy (> 0: over-confident)'),
      stat('active alarms', String(s.alarms.length)),
    );
    const rows = Object.entries(s.signals).flatMap(([name, sig]) =>
      sig.decisions.map((d) => ({ name: `${name} · ${d.statistic}`, value: d.value, threshold: d.threshold, alarm: d.alarm })),
    );
    if (s.window === 0) parts.ratio.replaceChildren(notice('empty', 'The window is empty', 'Statistics appear once predictions are served.'));
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
    // /v1/monitor gives statistics, not bucket counts: the shares below come from the audit trail.
    parts.sampleNote.textContent =
      recent.length === 0
        ? 'No /v1/predict results in the audit trail yet.'
        : `Shares over the last ${recent.length} /v1/predict results in the audit trail (the monitor's reference histograms are not exposed by /v1/monitor).`;
    if (recent.length > 0) {
      histogram(parts.confidence, 'Confidence of recent predictions', recent.map((e) => e.score), COLORS.window, 'confidence (top-class probability)');
      const counts = d3.rollup(recent, (v) => v.length / recent.length, (e) => e.label);
      const labels = Object.keys(recent[0].probabilities);
      groupedBars(parts.labels, {
        title: 'Predicted label shares',
        categories: labels,
        series: [{ name: 'recent', color: COLORS.window, values: Object.fromEntries(labels.map((l) => [l, counts.get(l) ?? 0])) }],
        xLabel: 'predicted label',
        yLabel: 'share of predictions',
      });
    } else {
      parts.confidence.replaceChildren();
      parts.labels.replaceChildren();
    }
  };

  const load = async () => {
    try {
      const [s, h, recent] = await Promise.all([
        api.monitor(),
        api.history(50),
        api.predictions(200).catch(() => null),
      ]);
      render(s, h.alarms, recent?.predictions ?? []);
      live.textContent = `Updates live every ${POLL_MS / 1000} s · last update ${new Date().toLocaleTimeString()}`;
    } catch (error) {
      built = false;
      if (error instanceof ApiCallError && error.status === 404) {
        body.replaceChildren(
          notice('empty', 'No reference configured', 'This server runs no drift monitor. Build a reference profile with `glassbox monitor reference` and start the server with it (referencePath).'),
        );
      } else {
        body.replaceChildren(notice('error', 'Could not load the drift monitor', String(error instanceof Error ? error.message : error)));
      }
      live.textContent = `Retrying every ${POLL_MS / 1000} s · last try ${new Date().toLocaleTimeString()}`;
    }
  };

  return {
    refresh() {
      void load();
      window.clearInterval(timer);
      timer = window.setInterval(() => void load(), POLL_MS);
    },
    stop() {
      window.clearInterval(timer);
      timer = undefined;
    },
  };
}
