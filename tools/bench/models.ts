/** Model paths the benchmarks load, relative to the repository root. */
import { join } from 'node:path';

/** The served bundle: `glassbox serve`'s default (its graph also outputs attentions). */
export function servedModelDir(repoRoot: string): string {
  return join(repoRoot, 'models', 'emotion-mini');
}

/**
 * The same network exported without attention outputs, as standard exports come: what both
 * sides of the runtime comparisons load, so they run one graph.
 */
export function plainModelDir(repoRoot: string): string {
  return join(repoRoot, 'models', 'emotion-mini', 'no-attentions');
}
