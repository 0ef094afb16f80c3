import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  buildCalibrationFile,
  CalibrationInfoSchema,
  CalibrationMethodSchema,
  CertificateViewSchema,
  ConformalRecordSchema,
  MetricSummarySchema,
  calibrationId,
  minRowsForConformal,
  parseCalibration,
  serializeCalibration,
  type CalibrationFile,
  type MetricSet,
} from '@glassbox/calibration';
import type { StoredCalibration } from '@glassbox/monitor';
import type { ApiContext } from '../api-context.js';
import { ApiError } from '../api-errors.js';
import { defineRoute, type RouteSpec } from '../route-table.js';

export const MIN_CALIBRATION_ROWS = 20;
export const MAX_CALIBRATION_ROWS = 50_000;

const Probability = z.number().gt(0).lt(1);

export const CalibrationFitRequestSchema = z.strictObject({
  rows: z
    .array(
      z.strictObject({
        text: z.string().min(1),
        label: z.union([z.string().min(1), z.int().min(0)]).describe('A label name or id.'),
      }),
    )
    .describe(`Labeled texts, ${MIN_CALIBRATION_ROWS} to ${MAX_CALIBRATION_ROWS} (fewer or more: 422).`),
  method: CalibrationMethodSchema.optional().describe('Default: temperature.'),
  conformal_alpha: Probability.optional().describe('Also fit a LAC conformal threshold for this miscoverage rate.'),
  abstain_risk: Probability.optional().describe('Also certify an abstention rule (SGR) with this target risk.'),
  delta: Probability.optional().describe('Confidence parameter of the abstention certificate (default 0.001).'),
  activate: z.boolean().optional().describe('Make the new version the active calibration (default false).'),
});

export const CalibrationSelectRequestSchema = z.strictObject({
  version: z.string().min(1).describe('A version id such as "v2".'),
});

export const CalibrationVersionSchema = z.object({
  id: z.string().describe('v1, v2, …; v1 is the configured calibration file, when there is one.'),
  method: CalibrationMethodSchema,
  created_at: z.string(),
  n: z.int().describe('Rows it was fitted on.'),
  sha256: z.string().describe('Hash of its fitting rows; predictions served with it carry calibration_id "<method>:<sha256>".'),
  metrics: z
    .object({
      before: MetricSummarySchema,
      after: MetricSummarySchema,
      held_out: MetricSummarySchema.optional().describe('Calibrated metrics by 5-fold cross-fitting: each row scored by a fit on the other folds.'),
    })
    .nullable(),
  conformal: ConformalRecordSchema.nullable(),
  certificate: CertificateViewSchema.nullable(),
  active: z.boolean(),
});

export const CalibrationVersionsResponseSchema = z.object({
  active: z.string().nullable(),
  versions: z.array(CalibrationVersionSchema),
});

export const CalibrationDetailResponseSchema = CalibrationInfoSchema.extend({ version: z.string(), active: z.boolean() });

/**
 * The request and response schemas with `method` one of the server's registered calibrators
 * (plugins included), so /openapi.json lists them and a plugin's method is accepted.
 */
function calibrationSchemas(calibrators: ApiContext['plugins']['calibrator']) {
  const names = calibrators.names() as [string, ...string[]];
  const method = z.enum(names);
  const version = CalibrationVersionSchema.extend({ method });
  return {
    fit: CalibrationFitRequestSchema.extend({
      method: method.optional().describe(`Default: temperature. One of the registered calibrators: ${names.join(', ')}.`),
    }),
    version,
    versions: CalibrationVersionsResponseSchema.extend({ versions: z.array(version) }),
    detail: CalibrationDetailResponseSchema.extend({ method }),
  };
}

interface Version {
  id: string;
  file: CalibrationFile;
}

function pick(m: MetricSet) {
  return { accuracy: m.accuracy, ece: m.ece, mce: m.mce, brier: m.brier, nll: m.nll };
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, text, 'utf8');
  await rename(tmp, path);
}

/**
 * The versions a server starts with. In memory: the configured file as v1. With a state
 * database: its stored versions of this model, plus the configured file as a new version when
 * it is not among them (then it is active: the operator changed it); otherwise the stored
 * selection stays active.
 */
export interface InitialVersions {
  versions: Version[];
  activeId: string | null;
}

/** Stored versions not among `known`, parsed; one that does not parse is reported and skipped. */
function parseStored(ctx: Pick<ApiContext, 'service' | 'plugins' | 'reportError'>, stored: readonly StoredCalibration[], known: readonly Version[]): Version[] {
  const expected = { modelId: ctx.service.modelId, tokenizerId: ctx.service.tokenizerId, labels: ctx.service.labels };
  const parsed: Version[] = [];
  for (const { version, file } of stored) {
    if (known.some((v) => v.id === version)) continue;
    try {
      parsed.push({ id: version, file: parseCalibration(JSON.stringify(file), expected, `stored calibration ${version}`, ctx.plugins.calibrator) });
    } catch (error) {
      ctx.reportError(error);
    }
  }
  return parsed;
}

const sameCalibration = (a: CalibrationFile, b: CalibrationFile | null): boolean => b !== null && calibrationId(a) === calibrationId(b);

export async function initialVersions(ctx: Pick<ApiContext, 'service' | 'calibrationStore' | 'plugins' | 'reportError'>): Promise<InitialVersions> {
  const { service, calibrationStore: store } = ctx;
  const configured = service.calibration;
  if (!store) return configured ? { versions: [{ id: 'v1', file: configured }], activeId: 'v1' } : { versions: [], activeId: null };
  const versions: Version[] = [];
  versions.push(...parseStored(ctx, await store.calibrations(service.modelId), []));
  let activeId = await store.activeCalibration(service.modelId);
  if (configured) {
    if (!versions.some((v) => sameCalibration(v.file, configured))) {
      const id = await store.addCalibration(service.modelId, configured);
      versions.push({ id, file: configured });
      activeId = id;
      await store.setActiveCalibration(service.modelId, id);
    }
  }
  const configuredId = versions.find((v) => sameCalibration(v.file, configured))?.id ?? null;
  const active = versions.find((v) => v.id === activeId);
  if (!active || sameCalibration(active.file, configured)) return { versions, activeId: configuredId };
  try {
    service.setCalibration(active.file);
    return { versions, activeId: active.id };
  } catch (error) {
    // The abstention rule cannot use it: keep what the server was configured with.
    ctx.reportError(error);
    return { versions, activeId: configuredId };
  }
}

/**
 * Calibration versions: the configured file and those fitted through POST /v1/calibration/fit,
 * kept in memory or in the state database (and in calibrationDir), listed, shown and selected.
 */
export function calibrationRoutes(ctx: ApiContext, initial: InitialVersions): RouteSpec[] {
  const { service, options, calibrationStore: store } = ctx;
  const versions = initial.versions;
  let activeId = initial.activeId;
  const schemas = calibrationSchemas(ctx.plugins.calibrator);
  let next = versions.reduce((max, v) => Math.max(max, Number(v.id.slice(1)) || 0), 0) + 1;

  const find = (id: string): Version => {
    const v = versions.find((x) => x.id === id);
    if (!v) {
      throw new ApiError(
        'CALIBRATION_VERSION_NOT_FOUND',
        `no calibration version "${id}"; there are ${versions.length === 0 ? 'none' : versions.map((x) => x.id).join(', ')}`,
      );
    }
    return v;
  };

  const summary = ({ id, file }: Version) => ({
    id,
    method: file.calibration.method,
    created_at: file.created_at,
    n: file.fitted_on.count,
    sha256: file.fitted_on.sha256,
    metrics: file.metrics
      ? {
          before: pick(file.metrics.before),
          after: pick(file.metrics.after),
          ...(file.metrics.held_out && { held_out: pick(file.metrics.held_out.after) }),
        }
      : null,
    conformal: file.conformal ?? null,
    certificate: file.certificate ?? null,
    active: id === activeId,
  });

  /**
   * Stores the selection, then applies it: a selection that cannot be stored is refused (503)
   * with nothing changed; one the abstention rule cannot use (setCalibration throws) puts the
   * stored selection back.
   */
  const activate = async (v: Version) => {
    if (store) await ctx.writes.runAsync(() => store.setActiveCalibration(service.modelId, v.id));
    try {
      service.setCalibration(v.file);
    } catch (error) {
      if (store) {
        try {
          await store.setActiveCalibration(service.modelId, activeId);
        } catch (restoreError) {
          ctx.writes.record(restoreError);
        }
      }
      throw error;
    }
    activeId = v.id;
  };

  /**
   * A shared store (PostgreSQL): takes the versions other replicas stored and the fleet's active
   * version. Run on each of the store's notifications and polled every calibrationPollMs, so a
   * selection on one replica is active on all at once, and within that interval at the latest.
   */
  const sync = async () => {
    if (!store) return;
    versions.push(...parseStored(ctx, await store.calibrations(service.modelId), versions));
    versions.sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)));
    const stored = await store.activeCalibration(service.modelId);
    const v = versions.find((x) => x.id === stored);
    if (v && v.id !== activeId) {
      service.setCalibration(v.file);
      activeId = v.id;
    }
  };
  if (store && ctx.calibrationPollMs !== null) {
    let running = false;
    let again = false;
    let failing = false;
    const tick = () => {
      if (running) {
        again = true; // a notification during a sync: sync once more after it
        return;
      }
      running = true;
      sync()
        .then(
          () => (failing = false),
          (error: unknown) => {
            // Once per outage: the heartbeat already reports the database down (/ready, the log).
            if (!failing) ctx.reportError(error);
            failing = true;
          },
        )
        .finally(() => {
          running = false;
          if (again) {
            again = false;
            tick();
          }
        });
    };
    const timer = setInterval(tick, ctx.calibrationPollMs);
    timer.unref();
    // PostgreSQL announces each change (LISTEN/NOTIFY): applied at once; the poll stays as the fallback.
    const watch = store.watchCalibrations?.((modelId) => {
      if (modelId === null || modelId === service.modelId) tick();
    });
    ctx.onClose(() => {
      clearInterval(timer);
      void watch?.close();
    });
  }

  const get = defineRoute({
    method: 'get',
    path: '/v1/calibration',
    operationId: 'getCalibration',
    summary: 'A calibration version (default: the active one): method, parameters, metrics before and after, conformal threshold, certificate.',
    tag: 'calibration',
    query: z.object({ version: z.string().min(1).optional().describe('A version id such as "v2" (default: the active one).') }),
    response: schemas.detail,
    errors: [400, 404],
    handle({ query }) {
      let v: Version;
      if (query.version !== undefined) v = find(query.version);
      else if (activeId === null) {
        throw new ApiError(
          'CALIBRATION_NOT_CONFIGURED',
          versions.length === 0
            ? 'this server has no calibration: start it with --calibration FILE (config calibrationPath) or fit one with POST /v1/calibration/fit'
            : 'no calibration is active; select one with POST /v1/calibration/select or ask for ?version=',
        );
      } else v = find(activeId);
      const { file } = v;
      return {
        version: v.id,
        active: v.id === activeId,
        model: file.model,
        method: file.calibration.method,
        params: file.calibration.params,
        fitted_on: file.fitted_on,
        metrics: file.metrics ?? null,
        conformal: file.conformal ?? null,
        certificate: file.certificate ?? null,
        created_at: file.created_at,
      };
    },
  });

  const list = defineRoute({
    method: 'get',
    path: '/v1/calibration/versions',
    operationId: 'listCalibrationVersions',
    summary: 'Every calibration version, oldest first, with its metrics and which one is active.',
    tag: 'calibration',
    response: schemas.versions,
    errors: [],
    handle: () => ({ active: activeId, versions: versions.map(summary) }),
  });

  const fit = defineRoute({
    method: 'post',
    path: '/v1/calibration/fit',
    operationId: 'fitCalibration',
    summary: 'Classify labeled texts and fit a new calibration version (active only with activate: true).',
    tag: 'calibration',
    body: schemas.fit,
    response: schemas.version,
    errors: [400, 401, 404, 409, 413, 422, 500, 503],
    admin: true,
    async handle({ body, signal }) {
      const { rows } = body;
      if (rows.length < MIN_CALIBRATION_ROWS) {
        throw new ApiError('TOO_FEW_CALIBRATION_ROWS', `fitting a calibration needs at least ${MIN_CALIBRATION_ROWS} labeled rows, got ${rows.length}`);
      }
      if (rows.length > MAX_CALIBRATION_ROWS) {
        throw new ApiError('TOO_MANY_INPUTS', `at most ${MAX_CALIBRATION_ROWS} rows per fit, got ${rows.length}`);
      }
      const labels = service.labels;
      const k = labels.length;
      const gold: number[] = [];
      const unknown: string[] = [];
      rows.forEach((row, i) => {
        const id = typeof row.label === 'number' ? (row.label < k ? row.label : -1) : labels.indexOf(row.label);
        if (id < 0) unknown.push(`rows[${i}].label ${JSON.stringify(row.label)}`);
        gold.push(id);
      });
      if (unknown.length > 0) {
        const shown = unknown.slice(0, 5).join(', ') + (unknown.length > 5 ? ` and ${unknown.length - 5} more` : '');
        throw new ApiError(
          'UNKNOWN_CALIBRATION_LABEL',
          `unknown label in ${shown}; the labels are ${labels.map((l, i) => `${i}: ${l}`).join(', ')}`,
        );
      }
      const method = body.method ?? 'temperature';
      const prepared = await service.prepare(rows.map((r) => r.text));
      const predictions = await service.predictRaw(prepared, signal);
      const logits = Float32Array.from(predictions.flatMap((p) => Array.from(p.logits)));
      if (body.conformal_alpha !== undefined && gold.length < minRowsForConformal(body.conformal_alpha)) {
        throw new ApiError(
          'TOO_FEW_CALIBRATION_ROWS',
          `conformal_alpha ${body.conformal_alpha} needs at least ${minRowsForConformal(body.conformal_alpha)} rows, got ${gold.length}`,
        );
      }
      const file = buildCalibrationFile(logits, gold, k, {
        method,
        model: { id: service.modelId, name: service.name, labels: [...labels], tokenizer: service.tokenizerId },
        conformalAlpha: body.conformal_alpha,
        abstainRisk: body.abstain_risk,
        delta: body.delta,
        calibrators: ctx.plugins.calibrator,
      });
      // With a store, the store picks the id: replicas fitting at the same instant get distinct ones.
      const id = store ? await ctx.writes.runAsync(() => store.addCalibration(service.modelId, file)) : `v${next}`;
      next = Math.max(next, Number(id.slice(1)) + 1);
      const version: Version = { id, file };
      if (options.calibrationDir) {
        await mkdir(options.calibrationDir, { recursive: true });
        await writeAtomic(join(options.calibrationDir, `calibration-${version.id}.json`), serializeCalibration(file, ctx.plugins.calibrator));
      }
      versions.push(version);
      versions.sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)));
      if (body.activate) await activate(version);
      return summary(version);
    },
  });

  const select = defineRoute({
    method: 'post',
    path: '/v1/calibration/select',
    operationId: 'selectCalibration',
    summary: 'Make a calibration version the active one for new requests.',
    tag: 'calibration',
    body: CalibrationSelectRequestSchema,
    response: schemas.version,
    errors: [400, 401, 404, 409, 413, 503],
    admin: true,
    async handle({ body }) {
      // Fitted on another replica since the last poll: look before refusing.
      if (store && ctx.calibrationPollMs !== null && !versions.some((x) => x.id === body.version)) await sync();
      const v = find(body.version);
      await activate(v);
      return summary(v);
    },
  });

  return [get, list, fit, select];
}
