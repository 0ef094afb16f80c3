import type { FinetuneResult, HeldOutFigures } from './finetune.js';

export interface ModelCardInput {
  result: FinetuneResult;
  /** The command line as run. */
  command: string;
  data: { path: string; sha256: string; skipped: number };
  seed: number;
  validationSplit: number;
  testSplit: number;
  classWeighting: string;
  /** The temperature refitted on the validation rows, when one was. */
  temperature?: { value: number; file: string; nllBefore: number; nllAfter: number; eceBefore: number; eceAfter: number };
}

const pct = (v: number) => (v * 100).toFixed(2);

function figuresRow(name: string, f: HeldOutFigures, labels: readonly string[]): string {
  return `| ${name} | ${pct(f.accuracy)} | ${pct(f.macroF1)} | ${labels.map((l) => pct(f.f1[l])).join(' | ')} |`;
}

/** MODEL_CARD.md of a fine-tuned bundle: base model, data, command, split, per-epoch and before/after figures. */
export function renderModelCard(input: ModelCardInput): string {
  const r = input.result;
  const labels = r.labels;
  const lines = [
    `# ${r.out.name}`,
    '',
    `A classification head trained by \`glassbox finetune\` on the frozen encoder of **${r.base.name}** ` +
      `(\`${r.base.modelId}\`). The encoder's weights are unchanged; the head reads its \`<s>\` hidden state ` +
      `(\`${r.site.tensor}\`, ${r.site.hiddenSize} features) and replaces the base head (${r.site.headNodes.length} nodes).`,
    '',
    `- labels: ${labels.map((l, i) => `${i} ${l}`).join(', ')}`,
    `- model id: \`${r.out.modelId}\``,
    `- command: \`${input.command}\``,
    `- data: \`${input.data.path}\` (sha256 \`${input.data.sha256}\`), ${r.rows.total} single-label rows used, ${input.data.skipped} multi-label rows skipped`,
    `- split (stratified, seed ${input.seed}): ${r.rows.train} training, ${r.rows.validation} validation (share ${input.validationSplit}), ${r.rows.test} test (share ${input.testSplit})`,
    `- training rows per label: ${labels.map((l) => `${l} ${r.trainCounts[l]}`).join(', ')}`,
    `- class weights (${input.classWeighting}): ${labels.map((l) => `${l} ${r.classWeights[l].toFixed(3)}`).join(', ')}`,
    `- head: linear softmax (standardized features folded into one Gemm), Adam, L2, early stopping on the validation loss; best epoch ${r.bestEpoch} of ${r.epochs.length}${r.stoppedEarly ? ' (stopped early)' : ''}`,
    `- time: ${r.seconds.total.toFixed(1)} s in all (features ${r.seconds.features.toFixed(1)} s, training ${r.seconds.training.toFixed(1)} s)`,
    '',
    `## Before and after, on the ${r.heldOut} rows (held out from training)`,
    '',
    `| model | accuracy % | macro-F1 % | ${labels.map((l) => `F1 ${l} %`).join(' | ')} |`,
    `| --- | --- | --- | ${labels.map(() => '---').join(' | ')} |`,
    figuresRow(`majority class (${r.before.majority.label})`, r.before.majority, labels),
    ...(r.before.base ? [figuresRow(`${r.base.name} (base head)`, r.before.base, labels)] : []),
    figuresRow(`${r.out.name} (new head)`, r.after, labels),
    '',
    '## Per epoch (validation rows)',
    '',
    `| epoch | train loss | validation loss | accuracy % | macro-F1 % | ${labels.map((l) => `F1 ${l} %`).join(' | ')} |`,
    `| --- | --- | --- | --- | --- | ${labels.map(() => '---').join(' | ')} |`,
    ...r.epochs.map(
      (e) =>
        `| ${e.epoch}${e.epoch === r.bestEpoch ? ' (kept)' : ''} | ${e.trainLoss.toFixed(4)} | ${e.validationLoss.toFixed(4)} | ${pct(e.validationAccuracy)} | ${pct(e.validationMacroF1)} | ${e.validationF1.map(pct).join(' | ')} |`,
    ),
  ];
  if (input.temperature) {
    const t = input.temperature;
    lines.push(
      '',
      '## Calibration',
      '',
      `Temperature ${t.value.toFixed(4)} refitted on the validation rows, in \`${t.file}\` (\`glassbox predict --calibration\`, \`serve --calibration\`): ` +
        `NLL ${t.nllBefore.toFixed(4)} -> ${t.nllAfter.toFixed(4)}, ECE-15 ${t.eceBefore.toFixed(4)} -> ${t.eceAfter.toFixed(4)} on those rows.`,
    );
  }
  lines.push('', 'Anything trained on third-party data must credit it here (e.g. GoEmotions, Demszky et al. 2020, CC BY 4.0).', '');
  return lines.join('\n');
}
