// A Grafana dashboard for a glassbox fleet, generated from the same reference and options as the
// Prometheus rules of generate-rules.mjs (`--grafana FILE` there writes it): its fleet drift panels
// plot the rules' recorded series against the thresholds the alerts use, and its replica panels read
// each replica's own metrics, filtered by a `replica` variable. Plain Node, no dependencies.

import { createHash } from 'node:crypto';
import { num, recordNames, resolveOptions, selectorBraces, signalNames } from './generate-rules.mjs';

/** Grafana's dashboard JSON schema version this file is written for (Grafana 10.4 and later read it). */
export const SCHEMA_VERSION = 39;

/** Every panel with queries takes its data source from this dashboard variable. */
const DATASOURCE = Object.freeze({ type: 'prometheus', uid: '${datasource}' });

/**
 * The replica panels' series matchers: the rules' selector, the scrape job and the replica
 * (Prometheus's `instance` label: the host:port it scrapes).
 */
const replicaMatchers = (selector) => selectorBraces(selector, 'job=~"$job"', 'instance=~"$replica"');

/** Per-second rate of a counter by replica. */
const rateBy = (by, metric, matchers) => `sum by (${by}) (rate(${metric}${matchers}[$__rate_interval]))`;

function target(refId, expr, legendFormat, extra = {}) {
  return { refId, datasource: DATASOURCE, expr, legendFormat, range: true, ...extra };
}

function panel(type, title, description, targets, { unit, min, max, thresholds, options, custom, mappings } = {}) {
  return {
    type,
    title,
    description,
    datasource: DATASOURCE,
    targets,
    fieldConfig: {
      defaults: {
        ...(unit !== undefined && { unit }),
        ...(min !== undefined && { min }),
        ...(max !== undefined && { max }),
        ...(mappings !== undefined && { mappings }),
        thresholds: { mode: 'absolute', steps: thresholds ?? [{ color: 'green', value: null }] },
        ...(custom !== undefined && { custom }),
      },
      overrides: [],
    },
    options: options ?? {},
  };
}

const timeseries = (title, description, targets, opts = {}) =>
  panel('timeseries', title, description, targets, {
    ...opts,
    options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'none' } },
    custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: 0, showPoints: 'never', spanNulls: false, ...opts.custom },
  });

const stat = (title, description, targets, opts = {}) =>
  panel('stat', title, description, targets, {
    ...opts,
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'background', graphMode: 'none', textMode: 'value_and_name', justifyMode: 'auto', orientation: 'auto' },
  });

const row = (title) => ({ type: 'row', title, collapsed: false, panels: [] });

/** Lays panels out left to right, `w` of 24 columns each, a row panel starting a new line; numbers them from 1. */
function layout(items) {
  let x = 0;
  let y = 0;
  let height = 0;
  return items.map(([p, w = 24, h = 8], i) => {
    if (p.type === 'row' || x + w > 24) {
      y += height;
      x = 0;
      height = 0;
    }
    const placed = { id: i + 1, gridPos: { h: p.type === 'row' ? 1 : h, w: p.type === 'row' ? 24 : w, x, y }, ...p };
    if (p.type === 'row') {
      y += 1;
    } else {
      x += w;
      height = Math.max(height, h);
    }
    return placed;
  });
}

function fleetPanels({ opts, window, signals }) {
  const floor = num(opts.psiFloor);
  const drift = signals.map((signal) => {
    const { key, alertName, what } = signalNames(signal);
    const n = recordNames(key, window);
    return [
      timeseries(
        `Fleet drift: PSI of ${what} vs its alarm threshold`,
        `PSI of ${what} over the last ${window}, all replicas' counts summed (rule ${n.psi}), against what ${alertName} compares it with: ` +
          `the sample-size-aware critical value (${n.critical}, alpha ${num(opts.alpha)}${opts.runLength ? ", x the reference's run-length multiplier" : ''}) ` +
          `or the PSI floor ${floor}, whichever is higher. The alert also needs ${opts.minSamples} predictions in the window.`,
        [target('A', n.psi, 'PSI (fleet)'), target('B', `clamp_min(${n.critical}, ${floor})`, `alarm threshold: max(critical value, floor ${floor})`)],
        { min: 0 },
      ),
      12,
    ];
  });
  const counts = signals.map((signal, i) => {
    const { key, what } = signalNames(signal);
    return target(String.fromCharCode(65 + i), recordNames(key, window).count, `n (${what})`);
  });
  const alerts = signals.map((signal, i) => {
    const { alertName } = signalNames(signal);
    const series = (state) => `max(ALERTS{alertname="${alertName}", alertstate="${state}"})`;
    return target(String.fromCharCode(65 + i), `${series('firing')} * 2 or ${series('pending')} or vector(0)`, alertName);
  });
  return [
    [row(`Fleet drift: all replicas, from the rules (window ${window})`)],
    ...drift,
    [
      timeseries(
        `Fleet window: predictions in the last ${window}`,
        `Predictions the rules judge (all replicas). Below ${opts.minSamples} (the line) no drift alert fires.`,
        counts,
        { min: 0, thresholds: [{ color: 'transparent', value: null }, { color: 'orange', value: opts.minSamples }], custom: { thresholdsStyle: { mode: 'line' } } },
      ),
      12,
    ],
    [
      stat('Fleet drift alerts', 'State of each generated drift alert (Prometheus ALERTS series): ok, pending (for its "for" duration) or firing.', alerts, {
        mappings: [
          {
            type: 'value',
            options: { 0: { text: 'ok', color: 'green', index: 0 }, 1: { text: 'pending', color: 'orange', index: 1 }, 2: { text: 'firing', color: 'red', index: 2 } },
          },
        ],
      }),
      12,
    ],
  ];
}

function replicaPanels({ selector, reference }) {
  const m = replicaMatchers(selector);
  const jobReplica = selectorBraces('job=~"$job"', 'instance=~"$replica"');
  const predictions = (by) => rateBy(by, 'glassbox_predictions_total', m);
  return [
    [row('Replicas (each replica its own series; filter with the replica variable)')],
    [
      stat('Replicas up', 'Replicas Prometheus scraped successfully at its last scrape, of the targets it scrapes.', [
        target('A', `sum(up${jobReplica})`, 'up'),
        target('B', `count(up${jobReplica})`, 'scraped'),
      ]),
      6,
    ],
    [
      timeseries('Predictions per second, per replica', 'Rate of glassbox_predictions_total, every label.', [
        target('A', predictions('instance'), '{{instance}}'),
        target('B', `sum(${predictions('job')})`, 'all selected'),
      ], { unit: 'reqps', min: 0 }),
      18,
    ],
    [
      panel(
        'heatmap',
        'Confidence histogram over time',
        `Predictions per confidence bucket (the reference profile's boundaries: ${reference.buckets.confidence.map(num).join(', ')}) per interval, summed over the selected replicas.`,
        [target('A', `sum by (le) (increase(glassbox_prediction_confidence_bucket${m}[$__rate_interval]))`, '{{le}}', { format: 'heatmap' })],
        {
          options: {
            calculate: false,
            yAxis: { axisPlacement: 'left', unit: 'percentunit' },
            cellGap: 1,
            color: { mode: 'scheme', scheme: 'Oranges', scale: 'exponential', exponent: 0.5, fill: 'dark-orange', steps: 64, reverse: false },
            rowsFrame: { layout: 'auto' },
            legend: { show: true },
            tooltip: { mode: 'single', yHistogram: false },
          },
        },
      ),
      12,
    ],
    [
      timeseries('Abstention rate, per replica', 'Abstentions (glassbox_abstentions_total, every rule) over predictions. No series until a replica abstains.', [
        target('A', `${rateBy('instance', 'glassbox_abstentions_total', m)}\n/ ${predictions('instance')}`, '{{instance}}'),
      ], { unit: 'percentunit', min: 0 }),
      12,
    ],
    [
      timeseries(
        "Each replica's own drift window: PSI",
        "The in-process monitor's PSI per signal over its own window (/v1/monitor of that replica): it sees only that replica's share of the traffic.",
        [target('A', `glassbox_drift_psi${m}`, '{{instance}} {{signal}}')],
        { min: 0 },
      ),
      8,
    ],
    [
      timeseries("Each replica's own alarms", "1 while a replica's in-process monitor is in alarm, per signal and statistic.", [
        target('A', `glassbox_drift_alarm${m}`, '{{instance}} {{signal}} {{statistic}}'),
      ], { min: 0, max: 1 }),
      8,
    ],
    [
      timeseries(
        'State writes failing (PostgreSQL)',
        '1 while a replica cannot write its state (it refuses writes with 503 and answers /ready with 503); failed writes per second.',
        [
          target('A', `glassbox_state_writes_failing${jobReplica}`, '{{instance}} failing'),
          target('B', `sum by (instance) (rate(glassbox_state_write_failures_total${jobReplica}[$__rate_interval]))`, '{{instance}} failures/s'),
        ],
        { min: 0 },
      ),
      8,
    ],
    [
      timeseries('Inference latency p95, per replica', '95th percentile of glassbox_inference_duration (model time per batch).', [
        target('A', `histogram_quantile(0.95, sum by (le, instance) (rate(glassbox_inference_duration_bucket${m}[$__rate_interval])))`, '{{instance}}'),
      ], { unit: 's', min: 0 }),
      24,
    ],
  ];
}

function variables() {
  const query = (name, label, q, extra = {}) => ({
    name,
    label,
    type: 'query',
    datasource: DATASOURCE,
    definition: q,
    query: { query: q, refId: `${name}-query` },
    refresh: 2,
    includeAll: true,
    multi: true,
    allValue: '.*',
    current: { selected: true, text: ['All'], value: ['$__all'] },
    sort: 1,
    hide: 0,
    ...extra,
  });
  return [
    { name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', refresh: 1, hide: 0, current: {} },
    // Every replica exports glassbox_state_writes_failing from its start, traffic or not.
    query('job', 'Scrape job', 'label_values(glassbox_state_writes_failing, job)'),
    query('replica', 'Replica', 'label_values(glassbox_state_writes_failing{job=~"$job"}, instance)'),
  ];
}

/**
 * The dashboard as a JSON-ready object. Takes generate-rules.mjs's options (window, signals,
 * selector, alpha, psiFloor, minSamples, ...): pass the ones the rules were generated with.
 */
export function generateDashboard(profile, options = {}) {
  const resolved = resolveOptions(profile, options);
  const { reference, window, selector } = resolved;
  const id = createHash('sha256').update(`${reference.model.id}\n${window}\n${selector}`).digest('hex').slice(0, 12);
  return {
    uid: `glassbox-fleet-${id}`,
    title: options.title ?? `glassbox fleet (${window} window)`,
    description:
      `Generated by tools/prometheus/generate-rules.mjs --grafana from the reference profile of model ${reference.model.id} ` +
      `(n ${reference.n}); needs the rules generated with the same options. Do not edit, regenerate.`,
    tags: ['glassbox', 'drift'],
    editable: true,
    graphTooltip: 1,
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    timezone: 'browser',
    annotations: {
      list: [{ builtIn: 1, datasource: { type: 'grafana', uid: '-- Grafana --' }, enable: true, hide: true, iconColor: 'rgba(0, 211, 255, 1)', name: 'Annotations & Alerts', type: 'dashboard' }],
    },
    templating: { list: variables() },
    links: [],
    panels: layout([...fleetPanels(resolved), ...replicaPanels(resolved)]),
  };
}

/** Every PromQL expression of a dashboard with its panel, for checks against a Prometheus. */
export function dashboardQueries(dashboard) {
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, refId: t.refId, expr: t.expr })));
}

/** An expression with the dashboard's variables replaced as Grafana would for "All" over `range`. */
export function expandVariables(expr, range = '1m') {
  return expr.replaceAll('$__rate_interval', range).replaceAll('$job', '.*').replaceAll('$replica', '.*');
}
