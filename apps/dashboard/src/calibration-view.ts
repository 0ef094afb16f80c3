import { api, ApiCallError, type MetricSet } from './api-client.js';
import { COLORS } from './charts/frame.js';
import { reliabilityDiagram } from './charts/reliability.js';
import { el, notice, num, pct, section, table } from './dom.js';

export function calibrationView(root: HTMLElement): { refresh(): void } {
  const body = el('div', { attrs: { id: 'calibration-body' } }, [notice('info', 'Loading the calibration…')]);
  root.append(body);

  // The file's metrics are measured on the rows it was fitted on: in-sample, flattering the calibrated column.
  const metricsTable = (before: MetricSet, after: MetricSet) =>
    table(
      ['metric (in-sample)', 'raw', 'calibrated'],
      [
        ['ECE', num(before.ece, 4), num(after.ece, 4)],
        ['MCE', num(before.mce, 4), num(after.mce, 4)],
        ['Brier', num(before.brier, 4), num(after.brier, 4)],
        ['NLL', num(before.nll, 4), num(after.nll, 4)],
        ['accuracy', pct(before.accuracy), pct(after.accuracy)],
      ],
    );

  const load = async () => {
    try {
      const c = await api.calibration();
      const chart = el('div', { class: 'chart-box square', attrs: { id: 'reliability-chart' } });
      const params = Object.entries(c.params)
        .map(([k, v]) => `${k} = ${typeof v === 'number' ? v.toPrecision(4) : JSON.stringify(v)}`)
        .join(', ');
      const summary = table(
        ['', ''],
        [
          ['method', c.method],
          ['parameters', params || '–'],
          ['fitted on', `${c.fitted_on.count} labelled rows (the metrics are measured on these same rows)`],
          ['conformal', c.conformal ? `${c.conformal.method}, α = ${c.conformal.alpha}, q̂ = ${c.conformal.qhat.toPrecision(4)}` : 'none'],
          ['created', new Date(c.created_at).toLocaleString()],
        ],
        'data kv',
      );
      const cert = c.certificate
        ? table(
            ['', ''],
            Object.entries(c.certificate).map(([k, v]) => [k.replace(/_/g, ' '), typeof v === 'number' ? String(Number(v.toPrecision(4))) : String(v)]),
            'data kv',
          )
        : notice('empty', 'No abstention certificate', 'The calibration file carries no certified abstention rule.');
      const inSample = el('p', {
        class: 'muted sample-note',
        attrs: { id: 'calibration-in-sample' },
        text: `In-sample: measured on the ${c.fitted_on.count} rows the calibration was fitted on, so the calibrated figures flatter it. For held-out figures, run \`glassbox evaluate --calibration FILE\` on rows it was not fitted on.`,
      });
      body.replaceChildren(
        el('div', { class: 'grid' }, [
          el('div', { class: 'col wide' }, [
            section(
              'Reliability diagram (in-sample)',
              c.metrics ? chart : notice('empty', 'No metrics in this calibration file', 'It was saved without before/after metrics.'),
              el('p', {
                class: 'muted',
                text: `Each point is a confidence bin (size: rows in it), over the ${c.fitted_on.count} fitting rows. On the dashed diagonal, confidence equals accuracy.`,
              }),
            ),
          ]),
          el('div', { class: 'col' }, [
            section('Metrics (in-sample)', ...(c.metrics ? [metricsTable(c.metrics.before, c.metrics.after), inSample] : [notice('empty', 'No metrics')])),
            section('Calibration', summary),
            section('Abstention certificate', cert),
          ]),
        ]),
      );
      if (c.metrics) {
        reliabilityDiagram(chart, [
          { name: 'raw', color: COLORS.raw, bins: c.metrics.before.reliability },
          { name: 'calibrated', color: COLORS.calibrated, bins: c.metrics.after.reliability },
        ]);
      }
    } catch (error) {
      if (error instanceof ApiCallError && error.status === 404) {
        body.replaceChildren(
          notice(
            'empty',
            'No calibration on this server',
            'It was started without one (`glassbox serve --no-calibration`, or a model without a bundled calibration.json): probabilities are raw, with no conformal sets. Fit one with `glassbox calibrate --data FILE --conformal 0.1 --abstain-risk 0.25 --out calibration.json` and restart with `glassbox serve --calibration calibration.json`, or fit one here with POST /v1/calibration/fit.',
          ),
        );
      } else {
        body.replaceChildren(notice('error', 'Could not load the calibration', String(error instanceof Error ? error.message : error)));
      }
    }
  };
  return { refresh: () => void load() };
}
