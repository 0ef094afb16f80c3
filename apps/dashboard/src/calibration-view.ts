import { api, ApiCallError, type MetricSet } from './api-client.js';
import { COLORS } from './charts/frame.js';
import { reliabilityDiagram } from './charts/reliability.js';
import { el, notice, num, pct, section, table } from './dom.js';

export function calibrationView(root: HTMLElement): { refresh(): void } {
  const body = el('div', { attrs: { id: 'calibration-body' } }, [notice('info', 'Loading the calibration…')]);
  root.append(body);

  // The file's before/after metrics are measured on the rows it was fitted on (in-sample, flattering
  // the calibrated column); held_out, when the file has it, scores each row by a fit on the other folds.
  const metricsTable = (before: MetricSet, after: MetricSet, heldOut: MetricSet | undefined) => {
    const row = (name: string, f: (m: MetricSet) => string) => [name, f(before), f(after), ...(heldOut ? [f(heldOut)] : [])];
    return table(
      ['metric', 'raw', 'calibrated, in-sample', ...(heldOut ? ['calibrated, held-out'] : [])],
      [
        row('ECE', (m) => num(m.ece, 4)),
        row('MCE', (m) => num(m.mce, 4)),
        row('Brier', (m) => num(m.brier, 4)),
        row('NLL', (m) => num(m.nll, 4)),
        row('accuracy', (m) => pct(m.accuracy)),
      ],
    );
  };

  const load = async () => {
    try {
      const c = await api.calibration();
      const chart = el('div', { class: 'chart-box square', attrs: { id: 'reliability-chart' } });
      const held = c.metrics?.held_out;
      const params = Object.entries(c.params)
        .map(([k, v]) => `${k} = ${typeof v === 'number' ? v.toPrecision(4) : JSON.stringify(v)}`)
        .join(', ');
      const summary = table(
        ['', ''],
        [
          ['method', c.method],
          ['parameters', params || '–'],
          ['fitted on', `${c.fitted_on.count} labelled rows`],
          ['conformal', c.conformal ? `${c.conformal.method}, α = ${c.conformal.alpha}, q̂ = ${c.conformal.qhat.toPrecision(4)}` : 'none'],
          ...(held?.conformal
            ? [
                [
                  'conformal, held-out',
                  `sets held the label for ${pct(held.conformal.coverage)} of ${held.count} rows (target ${pct(held.conformal.target_coverage)}), ${num(held.conformal.mean_set_size, 2)} labels per set on average`,
                ],
              ]
            : []),
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
      const abst = held?.abstention;
      const certHeld =
        c.certificate && abst
          ? el('p', {
              class: 'muted sample-note',
              attrs: { id: 'certificate-held-out' },
              text:
                abst.folds_certified === 0
                  ? `Held-out: no fold's fitting rows admitted a certificate at risk ${abst.target_risk}, so there is no held-out check of this rule.`
                  : `Held-out (${abst.folds_certified} of ${held.folds} folds certified, ${abst.count} rows): the rule answered ${pct(abst.coverage)} of rows it was not fitted on, and was wrong on ${pct(abst.selective_risk)} of those it answered (target at most ${pct(abst.target_risk)}).`,
            })
          : null;
      const inSample = el('p', {
        class: 'muted sample-note',
        attrs: { id: 'calibration-in-sample' },
        text: held
          ? `In-sample: measured on the ${c.fitted_on.count} rows the calibration was fitted on, so that column flatters it. Held-out: ${held.folds}-fold cross-fitting, each of the ${held.count} rows scored by a calibration fitted on the other ${held.folds - 1} folds: what to expect on new rows like these.`
          : `In-sample: measured on the ${c.fitted_on.count} rows the calibration was fitted on, so the calibrated figures flatter it. This file has no held-out figures (written before glassbox measured them, or fitted on fewer than ${10 * 5} rows); refit it, or run \`glassbox evaluate --calibration FILE\` on rows it was not fitted on.`,
      });
      body.replaceChildren(
        el('div', { class: 'grid' }, [
          el('div', { class: 'col wide' }, [
            section(
              held ? 'Reliability diagram (raw; calibrated in-sample and held-out)' : 'Reliability diagram (in-sample)',
              c.metrics ? chart : notice('empty', 'No metrics in this calibration file', 'It was saved without before/after metrics.'),
              el('p', {
                class: 'muted',
                text: `Each point is a confidence bin (size: rows in it), over the ${c.fitted_on.count} fitting rows${held ? '; the held-out series scores each row by a fit on the other folds' : ''}. On the dashed diagonal, confidence equals accuracy.`,
              }),
            ),
          ]),
          el('div', { class: 'col' }, [
            section(
              held ? 'Metrics (in-sample and held-out)' : 'Metrics (in-sample)',
              ...(c.metrics ? [metricsTable(c.metrics.before, c.metrics.after, held?.after), inSample] : [notice('empty', 'No metrics')]),
            ),
            section('Calibration', summary),
            section('Abstention certificate', cert, ...(certHeld ? [certHeld] : [])),
          ]),
        ]),
      );
      if (c.metrics) {
        reliabilityDiagram(chart, [
          { name: 'raw', color: COLORS.raw, bins: c.metrics.before.reliability },
          // Short names: the legend is one line over the chart, and the title says both are calibrated.
          { name: held ? 'in-sample' : 'calibrated', color: held ? COLORS.window : COLORS.calibrated, bins: c.metrics.after.reliability },
          ...(held ? [{ name: 'held-out', color: COLORS.calibrated, bins: held.after.reliability }] : []),
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
