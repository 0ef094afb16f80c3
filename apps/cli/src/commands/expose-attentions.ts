import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseModelConfig } from '@glassbox/core';
import { exposeAttentions, type ExposeAttentionsResult } from '@glassbox/explain';

/**
 * Rewrites an ONNX graph exported without attention outputs so each layer's attention
 * probabilities become outputs `attentions.N`. A config.json beside the input is used to check
 * the layer and head counts.
 */
export async function exposeAttentionsCommand(input: string, output: string, out: NodeJS.WritableStream): Promise<ExposeAttentionsResult> {
  const configPath = join(dirname(input), 'config.json');
  const config = existsSync(configPath) ? parseModelConfig(configPath) : null;
  const result = await exposeAttentions(input, output, { numLayers: config?.numLayers ?? null, numHeads: config?.numHeads ?? null });
  out.write(`${result.outputs.length} attention outputs (${result.outputs.join(', ')}; ${result.heads ?? '?'} heads) -> ${output}\n`);
  return result;
}
