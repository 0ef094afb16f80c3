import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInferenceEngine, GlassboxError, type InferenceEngine } from '@glassbox/core';

/** The bundled emotion-mini model: models/emotion-mini at the repository root. */
export function defaultModelDir(): string {
  if (process.env['GLASSBOX_MODEL']) return process.env['GLASSBOX_MODEL'];
  // src/commands or dist/commands -> apps/cli -> repository root
  return fileURLToPath(new URL('../../../../models/emotion-mini', import.meta.url));
}

export interface EngineFlags {
  model?: string;
  batchSize?: number;
  threads?: number;
  longText?: 'truncate' | 'chunk';
}

export async function openEngine(flags: EngineFlags): Promise<InferenceEngine> {
  const dir = flags.model ?? defaultModelDir();
  if (!existsSync(dir)) {
    throw new GlassboxError('BUNDLE_NOT_FOUND', `model directory ${dir} does not exist (pass --model DIR)`);
  }
  return createInferenceEngine(dir, {
    batchSize: flags.batchSize ?? 32,
    longText: flags.longText ?? 'truncate',
    ...(flags.threads ? { intraOpThreads: flags.threads } : {}),
  });
}

export function parsePositiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) {
      throw new GlassboxError('INVALID_OPTION', `${name} must be a positive integer, got "${value}"`);
    }
    return n;
  };
}

/** Maps a label cell (name or id) to a label id, or throws UNKNOWN_LABEL naming the valid ones. */
export function labelId(labels: readonly string[], cell: string, where: string): number {
  const trimmed = cell.trim();
  const byName = labels.indexOf(trimmed);
  if (byName >= 0) return byName;
  if (/^\d+$/.test(trimmed) && Number(trimmed) < labels.length) return Number(trimmed);
  throw new GlassboxError(
    'UNKNOWN_LABEL',
    `${where}: label "${cell}" is neither a label name (${labels.join(', ')}) nor an id 0..${labels.length - 1}`,
  );
}
