/**
 * Adds per-layer attention probabilities as graph outputs (`attentions.0`, ...) to an exported
 * classifier that lacks them, as optimum exports do. The graph is only extended: one Identity
 * (or Cast to float) node and one graph output per layer are appended to the serialized model;
 * every existing byte, initializers included, stays as it was.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { GlassboxError } from '@glassbox/core';
import type { onnx } from 'onnx-proto';
import type { AttentionSite } from './attention-sites.js';
import { declaredHeads, declaredTypes, DEFAULT_DOMAINS, findAttentionSites, FLOAT } from './attention-sites.js';
import { appendToGraph, decodeModel, externalDataFiles, onnxProto as proto, writeBytesAtomic } from '@glassbox/core';

// The graph pattern lives in attention-sites.ts; kept importable from here.
export { findAttentionSites } from './attention-sites.js';
export type { AttentionSite } from './attention-sites.js';

export interface ExposeAttentionsOptions {
  /** Layers the model should have (config.json `num_hidden_layers`); a different count is refused. */
  numLayers?: number | null;
  /** Heads per layer (config.json `num_attention_heads`): used where the graph does not fix it, checked where it does. */
  numHeads?: number | null;
  /**
   * Accept a model whose weights live in external data files. The rewritten model refers to
   * them by relative path, so it is only valid when written in the original's directory;
   * `exposeAttentions` sets this itself when it is. Default false.
   */
  keepExternalData?: boolean;
}

export interface ExposeAttentionsResult {
  /** Graph outputs holding attention probabilities, by layer: 'attentions.0', ... */
  outputs: string[];
  layers: number;
  /** Heads per layer, when the graph or the options fix it. */
  heads: number | null;
}

const ATTENTION_OUTPUT = /^attentions\.(\d+)$/;
/** com.microsoft Attention, MultiHeadAttention, GroupQueryAttention, ...; ai.onnx Attention (opset 23). */
const FUSED_ATTENTION = /Attention$/;

/**
 * Rewrites ONNX model bytes so each layer's attention probabilities are a graph output.
 * A model that already has `attentions.N` outputs comes back unchanged (same bytes).
 */
export function exposeAttentionsInModel(
  model: Uint8Array,
  options: ExposeAttentionsOptions = {},
): { bytes: Uint8Array; result: ExposeAttentionsResult } {
  const decoded = decodeModel(model);
  const graph = decoded.graph as onnx.IGraphProto;
  const existing = existingAttentionOutputs(graph);
  if (existing.outputs.length > 0) {
    const heads = checkShape(existing.outputs.length, existing.heads, options, 'already has attention outputs');
    return { bytes: model, result: { outputs: existing.outputs, layers: existing.outputs.length, heads } };
  }
  const external = externalDataFiles(graph);
  if (external.length > 0 && !options.keepExternalData) {
    throw new GlassboxError(
      'INVALID_OPTION',
      `the model keeps its weights in external data (${external.join(', ')}), which the rewritten model refers to by relative path: ` +
        'write the result in the same directory as the original model (exposeAttentions does this check), or pass keepExternalData: true if you will',
      { details: { externalData: external } },
    );
  }
  const fused = fusedAttentionNodes(graph);
  if (fused.length > 0) {
    throw new GlassboxError(
      'MODEL_IO_MISMATCH',
      `attention is fused into single operators (${fused.slice(0, 4).join('; ')}${fused.length > 4 ? `; ${fused.length - 4} more` : ''}), ` +
        'which do not output attention probabilities: re-export the model without ONNX Runtime transformer optimisation ' +
        '(optimum-cli export onnx --optimize none, or the model before `optimum-cli onnxruntime optimize`)',
      { details: { fusedOperators: fused } },
    );
  }
  const sites = findAttentionSites(decoded);
  if (sites.length === 0) {
    const softmaxes = (graph.node ?? []).filter((n) => n.opType === 'Softmax').map((n) => n.name || n.output?.[0] || '(unnamed)');
    throw new GlassboxError(
      'MODEL_IO_MISMATCH',
      `found no attention Softmax in the graph: expected Softmax(MatMul(query, Transpose(key)) [/ scale] [+ mask]) over a rank-4 ` +
        `[batch, heads, seq, seq] score tensor feeding MatMul(·, value), but the graph has ${softmaxes.length} Softmax node(s)` +
        `${softmaxes.length > 0 ? ` (${softmaxes.slice(0, 4).join(', ')})` : ''} and none matches; ` +
        'export the model with torch.onnx / optimum (eager attention, not a fused or scaled_dot_product_attention kernel)',
      { details: { softmaxNodes: softmaxes } },
    );
  }
  const heads = checkShape(sites.length, commonHeads(sites), options, 'has');
  const outputs = sites.map((_, i) => `attentions.${i}`);
  const bytes = appendToGraph(model, attentionAdditions(graph, sites, heads));
  return { bytes, result: { outputs, layers: sites.length, heads } };
}

/**
 * Reads `inPath`, exposes its attention outputs and writes the model to `outPath` atomically
 * (a temporary file in the same directory, then a rename). `outPath` may equal `inPath`.
 */
export async function exposeAttentions(
  inPath: string,
  outPath: string,
  options: ExposeAttentionsOptions = {},
): Promise<ExposeAttentionsResult> {
  let model: Uint8Array;
  try {
    model = await readFile(inPath);
  } catch (cause) {
    throw new GlassboxError('INPUT_FILE_UNREADABLE', `cannot read the model ${inPath}: ${(cause as Error).message}`, { cause });
  }
  const sameDirectory = dirname(resolve(inPath)) === dirname(resolve(outPath));
  let rewritten: { bytes: Uint8Array; result: ExposeAttentionsResult };
  try {
    rewritten = exposeAttentionsInModel(model, { ...options, keepExternalData: options.keepExternalData || sameDirectory });
  } catch (e) {
    if (e instanceof GlassboxError) {
      throw new GlassboxError(e.code, `${inPath}: ${e.message}`, { cause: e.cause, details: e.details });
    }
    throw e;
  }
  const unchangedInPlace = rewritten.bytes === model && resolve(inPath) === resolve(outPath);
  if (!unchangedInPlace) await writeBytesAtomic(outPath, rewritten.bytes);
  return rewritten.result;
}


function fusedAttentionNodes(graph: onnx.IGraphProto): string[] {
  return (graph.node ?? [])
    .filter((n) => FUSED_ATTENTION.test(n.opType ?? '') && (DEFAULT_DOMAINS.has(n.domain ?? '') || n.domain === 'com.microsoft'))
    .map((n) => `${n.opType} (${n.domain || 'ai.onnx'})${n.name ? ` ${n.name}` : ''}`);
}

function existingAttentionOutputs(graph: onnx.IGraphProto): { outputs: string[]; heads: number | null } {
  const found = (graph.output ?? []).filter((o) => ATTENTION_OUTPUT.test(o.name ?? ''));
  found.sort((a, b) => Number(ATTENTION_OUTPUT.exec(a.name ?? '')?.[1]) - Number(ATTENTION_OUTPUT.exec(b.name ?? '')?.[1]));
  const heads = found.length > 0 ? declaredHeads(found[0].name ?? '', declaredTypes(graph)) : null;
  return { outputs: found.map((o) => o.name ?? ''), heads };
}

function commonHeads(sites: AttentionSite[]): number | null {
  const first = sites[0].heads;
  return sites.every((s) => s.heads === first) ? first : null;
}

/** Checks layer and head counts against the options; returns the heads to report. */
function checkShape(layers: number, heads: number | null, options: ExposeAttentionsOptions, verb: string): number | null {
  if (options.numLayers != null && options.numLayers !== layers) {
    throw new GlassboxError(
      'MODEL_IO_MISMATCH',
      `config.json says ${options.numLayers} layers (num_hidden_layers) but the graph ${verb} ${layers} attention layer(s): ` +
        'check that config.json belongs to this model.onnx',
      { details: { expectedLayers: options.numLayers, foundLayers: layers } },
    );
  }
  if (options.numHeads != null && heads !== null && options.numHeads !== heads) {
    throw new GlassboxError(
      'MODEL_IO_MISMATCH',
      `config.json says ${options.numHeads} attention heads (num_attention_heads) but the graph splits attention into ${heads}: ` +
        'check that config.json belongs to this model.onnx',
      { details: { expectedHeads: options.numHeads, foundHeads: heads } },
    );
  }
  return heads ?? options.numHeads ?? null;
}

/** Per layer: an Identity (Cast for non-float32 probabilities) onto `attentions.N`, and the graph output. */
function attentionAdditions(graph: onnx.IGraphProto, sites: AttentionSite[], heads: number | null): onnx.IGraphProto {
  const tensorNames = new Set<string>([
    ...(graph.input ?? []).map((v) => v.name ?? ''),
    ...(graph.initializer ?? []).map((t) => t.name ?? ''),
    ...(graph.node ?? []).flatMap((n) => n.output ?? []),
  ]);
  const nodeNames = new Set((graph.node ?? []).map((n) => n.name ?? ''));
  const node: onnx.INodeProto[] = [];
  const output: onnx.IValueInfoProto[] = [];
  sites.forEach((site, layer) => {
    const name = `attentions.${layer}`;
    const probs = site.softmax.output?.[0] ?? '';
    if (tensorNames.has(name) && !(probs === name && site.elemType === FLOAT)) {
      throw new GlassboxError(
        'MODEL_IO_MISMATCH',
        `the graph already has a tensor named ${name} that is not layer ${layer}'s attention probabilities; rename it before exposing attentions`,
      );
    }
    if (probs !== name) {
      let nodeName = `glassbox/expose-attentions/${name}`;
      while (nodeNames.has(nodeName)) nodeName += '_';
      nodeNames.add(nodeName);
      node.push(
        site.elemType === FLOAT
          ? { name: nodeName, opType: 'Identity', input: [probs], output: [name] }
          : {
              name: nodeName,
              opType: 'Cast',
              input: [probs],
              output: [name],
              attribute: [{ name: 'to', type: proto.AttributeProto.AttributeType.INT, i: FLOAT }],
            },
      );
    }
    output.push(attentionOutput(name, heads));
  });
  return { node, output };
}

function attentionOutput(name: string, heads: number | null): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: {
          dim: [
            { dimParam: 'batch_size' },
            heads !== null ? { dimValue: heads } : { dimParam: 'num_heads' },
            { dimParam: 'sequence_length' },
            { dimParam: 'sequence_length' },
          ],
        },
      },
    },
  };
}
