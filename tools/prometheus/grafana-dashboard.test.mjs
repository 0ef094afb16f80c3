// The Grafana dashboard's shape, and that it reads exactly what the generated rules record
// (run by the bench-tools vitest project; the fleet test evaluates every query on a real Prometheus).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateRules } from './generate-rules.mjs';
import { SCHEMA_VERSION, dashboardQueries, expandVariables, generateDashboard } from './grafana-dashboard.mjs';

const reference = JSON.parse(readFileSync(new URL('./test/reference.json', import.meta.url), 'utf8'));

/** The `record:` and `alert:` names of a generated rules file. */
function ruleNames(yaml) {
  return {
    records: new Set([...yaml.matchAll(/^\s*- record: (\S+)$/gm)].map((m) => m[1])),
    alerts: new Set([...yaml.matchAll(/^\s*- alert: (\S+)$/gm)].map((m) => m[1])),
  };
}

const recordsIn = (expr) => [...expr.matchAll(/glassbox:[a-z_]+:[a-z0-9]+/g)].map((m) => m[0]);
const alertsIn = (expr) => [...expr.matchAll(/alertname="([^"]+)"/g)].map((m) => m[1]);

describe('the Grafana fleet dashboard', () => {
  const variants = [
    ['defaults', {}],
    ['every signal, 30m, a stricter floor', { signals: ['confidence', 'margin', 'entropy', 'labels'], window: '30m', psiFloor: 0.2, minSamples: 50, selector: '' }],
  ];

  it.each(variants)('has a versioned schema, unique panel ids and a layout on the 24-column grid (%s)', (_name, options) => {
    const d = generateDashboard(reference, options);
    expect(d.schemaVersion).toBe(SCHEMA_VERSION);
    expect(d.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    const ids = d.panels.map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    // No two panels overlap, none leaves the grid.
    const cells = new Set();
    for (const { gridPos: g, title } of d.panels) {
      expect(g.x + g.w, title).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`), `${title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
    // The file is plain JSON (what Grafana imports).
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
  });

  it.each(variants)('takes every query from the datasource variable and lets each replica be picked (%s)', (_name, options) => {
    const d = generateDashboard(reference, options);
    const variables = new Map(d.templating.list.map((v) => [v.name, v]));
    expect(variables.get('datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(variables.get('replica')).toMatchObject({ type: 'query', includeAll: true, multi: true, allValue: '.*' });
    for (const v of d.templating.list.filter((x) => x.type === 'query')) expect(v.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    const withQueries = d.panels.filter((p) => p.type !== 'row');
    expect(withQueries.length).toBeGreaterThan(0);
    for (const p of withQueries) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets) expect(t.datasource, `${p.title} ${t.refId}`).toEqual(p.datasource);
      expect(new Set(p.targets.map((t) => t.refId)).size, p.title).toBe(p.targets.length);
    }
    for (const p of d.panels.filter((x) => x.type === 'row')) expect(p.targets).toBeUndefined();
  });

  it.each(variants)('reads only series and alerts the rules generated with the same options define (%s)', (_name, options) => {
    const d = generateDashboard(reference, options);
    const { records, alerts } = ruleNames(generateRules(reference, options));
    const queries = dashboardQueries(d);
    const used = queries.flatMap((q) => recordsIn(q.expr));
    expect(used.length).toBeGreaterThan(0);
    for (const name of used) expect(records, name).toContain(name);
    // Every alert the rules define has its state shown, and each signal's PSI its panel against the alert's threshold.
    expect(new Set(queries.flatMap((q) => alertsIn(q.expr)))).toEqual(alerts);
    const floor = options.psiFloor ?? 0.1;
    for (const record of [...records].filter((r) => /_psi:/.test(r))) {
      const panel = d.panels.find((p) => p.targets?.some((t) => t.expr === record));
      expect(panel, record).toBeDefined();
      expect(panel.targets.map((t) => t.expr)).toContain(`clamp_min(${record.replace('_psi:', '_psi_critical:')}, ${floor})`);
    }
    const minSamples = d.panels.find((p) => p.title.startsWith('Fleet window'));
    expect(minSamples.fieldConfig.defaults.thresholds.steps.map((s) => s.value)).toEqual([null, options.minSamples ?? 30]);
  });

  it('filters every per-replica panel by the replica variable, and the variables expand to plain PromQL', () => {
    const d = generateDashboard(reference);
    const start = d.panels.findIndex((p) => p.type === 'row' && p.title.startsWith('Replicas'));
    const replicaPanels = d.panels.slice(start + 1);
    expect(replicaPanels.map((p) => p.title)).toEqual(
      expect.arrayContaining(['Replicas up', 'Predictions per second, per replica', 'Confidence histogram over time', 'Abstention rate, per replica']),
    );
    for (const p of replicaPanels) for (const t of p.targets) expect(t.expr, p.title).toContain('instance=~"$replica"');
    // The rules' series selector (the reference's model) applies to the replicas' raw series too.
    expect(replicaPanels.find((p) => p.title.startsWith('Predictions')).targets[0].expr).toContain(`model_id="${reference.model.id}"`);
    expect(d.panels.find((p) => p.type === 'heatmap').targets[0]).toMatchObject({ format: 'heatmap', legendFormat: '{{le}}' });
    for (const { expr } of dashboardQueries(d)) expect(expandVariables(expr, '2m')).not.toMatch(/\$/);
  });

  it('refuses what the rules refuse', () => {
    expect(() => generateDashboard({ ...reference, version: 2 })).toThrow(/version 2 is not supported/);
    expect(() => generateDashboard(reference, { window: 'an hour' })).toThrow(/--window/);
    expect(() => generateDashboard(reference, { signals: ['latency'] })).toThrow(/unknown signal/);
  });
});
