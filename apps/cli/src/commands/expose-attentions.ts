import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseModelConfig } from '@glassbox/core';
import { exposeAttentions, type ExposeAttentionsResult } from '@glassbox/explain';

/**
 * Rewrites an ONNX graph exported without attention outputs so each layer's attention
 * probabilities become outputs `attentions.N`. The bundle's config.json checks the layer and head
 * counts: beside the input, or one folder up in the transformers.js layout (`onnx/model.onnx`).
 */
export function configFor(input: string): string | null {
  const dir = dirname(input);
  const candidates = [join(dir, 'config.json'), ...(basename(dir) === 'onnx' ? [join(dirname(dir), 'config.json')] : [])];
  return candidates.find((p) => existsSync(p)) ?? null;
}

export async function exposeAttentionsCommand(
  input: string,
  output: string,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream = process.stderr,
): Promise<ExposeAttentionsResult> {
  const configPath = configFor(input);
  const config = configPath !== null ? parseModelConfig(configPath) : null;
  const result = await exposeAttentions(input, output, { numLayers: config?.numLayers ?? null, numHeads: config?.numHeads ?? null });
  if (configPath === null) err.write(`glassbox: note: no config.json beside ${input} (nor above its onnx/ folder): layer and head counts were not checked\n`);
  out.write(`${result.outputs.length} attention outputs (${result.outputs.join(', ')}; ${result.heads ?? '?'} heads) -> ${output}\n`);
  return result;
}
