// What a @glassbox/* tarball must and must not hold (pure; tested by tarball-rules.test.mjs).

/** Paths (inside the package) that never belong in a tarball: sources, tests, test helpers, configs, build info. */
const FORBIDDEN = [
  [/^src\//, 'source file'],
  [/(^|\/)[^/]*\.test\.[^/]+$/, 'test file'],
  [/(^|\/)test-[^/]+$/, 'test helper'],
  [/(^|\/)e2e\//, 'end-to-end test'],
  [/(^|\/)(tsconfig[^/]*\.json|eslint\.config\.[cm]?js|vitest[^/]*\.config\.[cm]?[jt]s|vite\.config\.[cm]?[jt]s)$/, 'config file'],
  [/\.tsbuildinfo$/, 'build info'],
  [/(^|\/)package\.json\.workspace$/, 'saved workspace manifest'],
];

/** The files every tarball needs, by package folder. */
function required(dir) {
  const base = ['package.json', 'README.md', 'LICENSE'];
  if (dir === 'models/emotion-mini') return [...base, 'index.js', 'index.d.ts', 'model.onnx', 'config.json', 'tokenizer.json', 'calibration.json', 'reference.json', 'model_quantized.onnx', 'model_quantized.calibration.json', 'MODEL_CARD.md', 'CITATION.cff'];
  if (dir === 'apps/dashboard') return [...base, 'dist/index.html'];
  const entry = dir === 'apps/cli' ? 'dist/main' : 'dist/index';
  return [...base, `${entry}.js`, `${entry}.js.map`, `${entry}.d.ts`, `${entry}.d.ts.map`, ...(dir === 'apps/cli' ? ['bin/glassbox.js'] : [])];
}

/**
 * Unpacked size budgets, in bytes, by package folder. The embedded model ships three graphs
 * (model.onnx with attentions, its no-attentions twin, the int8 variant) and must stay a small
 * download: 10 MB for everything in its tarball.
 */
export const SIZE_BUDGETS = { 'models/emotion-mini': 10_000_000 };

/** Problems with the unpacked size of the package in `dir` (npm pack's unpackedSize). */
export function sizeProblems(dir, unpackedBytes) {
  const budget = SIZE_BUDGETS[dir];
  if (budget === undefined || unpackedBytes <= budget) return [];
  return [`unpacked size ${unpackedBytes.toLocaleString('en-US')} bytes is over the budget of ${budget.toLocaleString('en-US')} bytes`];
}

/** Problems with a tarball of the package in `dir` holding `files` (paths inside the package). */
export function tarballProblems(dir, files) {
  const problems = [];
  const have = new Set(files);
  for (const f of required(dir)) if (!have.has(f)) problems.push(`missing ${f}`);
  for (const f of files) {
    const hit = FORBIDDEN.find(([re]) => re.test(f));
    if (hit) problems.push(`${hit[1]} ${f} should not be packed`);
  }
  if (dir !== 'models/emotion-mini' && dir !== 'apps/dashboard') {
    // Every compiled module comes with its declarations and both maps.
    for (const f of files.filter((x) => x.startsWith('dist/') && x.endsWith('.js') && !FORBIDDEN.some(([re]) => re.test(x)))) {
      const stem = f.slice(0, -3);
      for (const twin of [`${stem}.d.ts`, `${f}.map`, `${stem}.d.ts.map`]) if (!have.has(twin)) problems.push(`missing ${twin} (beside ${f})`);
    }
  }
  return problems;
}
