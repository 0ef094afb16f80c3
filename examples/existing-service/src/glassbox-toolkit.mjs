// glassbox used as libraries from the host's own code: two models wrapped as one calibrated
// ensemble with abstention rules (one of them the host's plugin), explanations, and a drift
// monitor whose instruments live on the host's MeterProvider.
import { abstentionRule, createCalibrator, createEnsembleEngine, fitCalibration, maxProbabilityRule } from '@glassbox/calibration';
import { createInferenceEngine, createPipeline, createPluginRegistries } from '@glassbox/core';
import { explainText } from '@glassbox/explain';
import { buildReferenceProfile, createDriftMonitor } from '@glassbox/monitor';
import neutralFloor from '../plugins/neutral-floor-abstention.mjs';
import { LABELLED } from './calibration-texts.mjs';

/**
 * @param {{ modelDirs: string[], meter: import('@opentelemetry/api').Meter, onAlarm?: (alarm: unknown) => void }} options
 */
export async function createToolkit({ modelDirs, meter, onAlarm }) {
  const members = [];
  for (const dir of modelDirs) members.push(await createInferenceEngine(dir, { batchSize: 16 }));
  const engine = createEnsembleEngine(members, { combine: 'probabilities' });
  const labels = engine.labels;

  // Temperature scaling fitted on the ensemble's logits (calibrate after combining).
  const fitRows = await engine.classify(LABELLED.map(([text]) => text));
  const logits = fitRows.flatMap((p) => Array.from(p.logits));
  const fitted = fitCalibration('temperature', logits, LABELLED.map(([, label]) => labels.indexOf(label)), labels.length);
  const calibrator = createCalibrator(fitted);

  // The host's plugin goes into glassbox's registries like any built-in.
  const registries = createPluginRegistries();
  registries.register(neutralFloor, { origin: 'file', location: new URL('../plugins/neutral-floor-abstention.mjs', import.meta.url).pathname });
  const abstention = [maxProbabilityRule(0.35), abstentionRule(registries.abstention.get('neutral-floor'), { floor: 0.8 })];

  // Drift against the reference texts' calibrated predictions; metrics on the host's meter.
  const referencePipeline = createPipeline({ engine, calibrator });
  const reference = buildReferenceProfile(await referencePipeline.process(fitRows), labels, await engine.modelId(), { calibration: calibrator.name });
  const monitor = createDriftMonitor({ reference, meter, window: { size: 200 }, abstentionRules: abstention.map((r) => r.name), ...(onAlarm ? { onAlarm } : {}) });
  const pipeline = createPipeline({ engine, calibrator, abstention, observers: [monitor] });

  return {
    engine,
    labels,
    calibrator,
    temperature: fitted.params.temperature,
    registries,
    monitor,
    /** Calibrated, abstaining predictions, each observed by the drift monitor. */
    classify: (texts) => pipeline.run(texts),
    /** Occlusion scores per word for the ensemble's predicted label. */
    explain: (text) => explainText(engine, text, { methods: ['occlusion'], granularity: 'word' }),
    async dispose() {
      await monitor.shutdown();
      await engine.dispose();
    },
  };
}
