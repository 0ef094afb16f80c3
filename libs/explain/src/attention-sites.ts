import type { onnx } from 'onnx-proto';
import {
  constantInts,
  indexGraph,
  intAttribute,
  intsAttribute,
  opsetVersion,
  toNumber,
  topologicalOrder,
  type GraphIndex,
} from '@glassbox/core';

/**
 * Finds the self-attention blocks of an exported transformer by graph pattern: each layer's
 * Softmax over the keys of a Q·Kᵀ MatMul that feeds the MatMul with the values, with its heads
 * and the element type of its probabilities.
 */

/** One self-attention block found in the graph. */
export interface AttentionSite {
  /** The Softmax whose output is the attention probabilities [batch, heads, seq, seq]. */
  softmax: onnx.INodeProto;
  /** Heads, read from the key's Reshape target shape when constant. */
  heads: number | null;
  /** TensorProto.DataType of the probabilities (FLOAT when it cannot be told). */
  elemType: number;
}

/** Ops between the Q·Kᵀ MatMul and the Softmax: scale, additive mask, masked fill, casts. */
const SCORE_OPS = new Set(['Add', 'Sub', 'Div', 'Mul', 'Where', 'Cast', 'Identity']);
/** Ops between the Softmax and the MatMul with the values: dropout, head mask, masked fill, casts. */
const PROBS_OPS = new Set(['Cast', 'Identity', 'Dropout', 'Where', 'Mul']);
/** Ops between the transposed key and the Q·Kᵀ MatMul (scaled keys). */
const KEY_OPS = new Set(['Mul', 'Div', 'Cast', 'Identity']);
/** Ops between the key's Reshape to heads and its final transpose. */
const KEY_LAYOUT_OPS = new Set(['Transpose', 'Mul', 'Div', 'Cast', 'Identity']);
const MAX_HOPS = 6;
export const FLOAT = 1;
export const FLOAT_TYPES = new Set([1, 10, 11, 16]); // FLOAT, FLOAT16, DOUBLE, BFLOAT16
export const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

/** Layer-by-layer attention Softmax nodes, in topological order. */
export function findAttentionSites(model: onnx.ModelProto): AttentionSite[] {
  const graph = model.graph as onnx.IGraphProto;
  const nodes = graph.node ?? [];
  const index = indexGraph(graph);
  const opset = opsetVersion(model) ?? 13;
  const types = declaredTypes(graph);
  const sites: AttentionSite[] = [];
  for (const i of topologicalOrder(graph)) {
    const softmax = nodes[i];
    if (softmax.opType !== 'Softmax' || !DEFAULT_DOMAINS.has(softmax.domain ?? '') || !softmaxOverKeys(softmax, opset)) continue;
    const probs = softmax.output?.[0];
    if (!probs || !feedsValueMatMul(probs, index)) continue;
    const scores = findBack(softmax.input?.[0] ?? '', index, SCORE_OPS, (n) => n.opType === 'MatMul' && transposedKey(n, index) !== null);
    if (!scores) continue;
    const key = transposedKey(scores, index) as onnx.INodeProto;
    sites.push({
      softmax,
      heads: headsFromKey(key, index) ?? declaredHeads(probs, types),
      elemType: elementType(probs, index, types) ?? FLOAT,
    });
  }
  return sites;
}

function softmaxOverKeys(softmax: onnx.INodeProto, opset: number): boolean {
  // Before opset 13 the default axis is 1 and Softmax flattens; attention must say -1 or 3.
  const axis = intAttribute(softmax, 'axis') ?? (opset >= 13 ? -1 : 1);
  return axis === -1 || axis === 3;
}

/** Whether `name` reaches, through PROBS_OPS, a MatMul as its left operand (probabilities x values). */
function feedsValueMatMul(name: string, index: GraphIndex): boolean {
  let frontier = [name];
  for (let hop = 0; hop < MAX_HOPS && frontier.length > 0; hop++) {
    const next: string[] = [];
    for (const tensor of frontier) {
      for (const consumer of index.consumers.get(tensor) ?? []) {
        if (consumer.opType === 'MatMul' && consumer.input?.[0] === tensor) return true;
        if (PROBS_OPS.has(consumer.opType ?? '')) next.push(...(consumer.output ?? []).filter(Boolean));
      }
    }
    frontier = next;
  }
  return false;
}

/** The first producer upstream of `name` (through `through` ops, breadth first) that `match` accepts. */
function findBack(
  name: string,
  index: GraphIndex,
  through: ReadonlySet<string>,
  match: (node: onnx.INodeProto) => boolean,
): onnx.INodeProto | null {
  let frontier = [name];
  const seen = new Set<string>();
  for (let hop = 0; hop <= MAX_HOPS && frontier.length > 0; hop++) {
    const next: string[] = [];
    for (const tensor of frontier) {
      if (!tensor || seen.has(tensor)) continue;
      seen.add(tensor);
      const node = index.producers.get(tensor)?.node;
      if (!node) continue;
      if (match(node)) return node;
      if (through.has(node.opType ?? '')) next.push(...(node.input ?? []));
    }
    frontier = next;
  }
  return null;
}

/**
 * The Transpose giving a MatMul its right operand as a transposed rank-4 key: perm moves the
 * head dim to axis 2 and sequence last ([0,2,3,1] from [B,S,H,D], [0,1,3,2] from [B,H,S,D]).
 */
function transposedKey(matmul: onnx.INodeProto, index: GraphIndex): onnx.INodeProto | null {
  return findBack(matmul.input?.[1] ?? '', index, KEY_OPS, (n) => {
    if (n.opType !== 'Transpose') return false;
    const perm = intsAttribute(n, 'perm');
    return perm !== null && perm.length === 4 && perm[2] === 3;
  });
}

/**
 * Heads of the score tensor (its axis 1), followed back through the key's transposes to the
 * Reshape that split the hidden size into heads, where the target shape is constant.
 */
function headsFromKey(keyTranspose: onnx.INodeProto, index: GraphIndex): number | null {
  let axis = 1;
  let node: onnx.INodeProto | undefined = keyTranspose;
  for (let hop = 0; node && hop <= MAX_HOPS; hop++) {
    if (node.opType === 'Reshape') {
      const shape = constantInts(node.input?.[1] ?? '', index);
      const heads = shape && shape.length === 4 ? shape[axis] : null;
      return heads !== null && heads > 0 ? heads : null;
    }
    if (!KEY_LAYOUT_OPS.has(node.opType ?? '')) return null;
    if (node.opType === 'Transpose') {
      const perm = intsAttribute(node, 'perm');
      if (!perm || perm.length !== 4) return null;
      axis = perm[axis];
    }
    // Scale and cast ops take the key as one of their inputs; follow the one a node produced.
    const data: string | undefined = (node.input ?? []).find((n) => {
      const producer = index.producers.get(n)?.node;
      return producer !== undefined && producer.opType !== 'Constant';
    });
    node = data === undefined ? undefined : index.producers.get(data)?.node;
  }
  return null;
}

/** Types and shapes the graph declares for its inputs, outputs and value_info. */
export function declaredTypes(graph: onnx.IGraphProto): Map<string, onnx.ITypeProto> {
  const types = new Map<string, onnx.ITypeProto>();
  for (const v of [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
    if (v.name && v.type) types.set(v.name, v.type);
  }
  return types;
}

export function declaredHeads(name: string, types: Map<string, onnx.ITypeProto>): number | null {
  const dims = types.get(name)?.tensorType?.shape?.dim ?? [];
  const heads = dims.length === 4 ? toNumber(dims[1].dimValue) : 0;
  return heads > 0 ? heads : null;
}

/** Element type of a tensor: declared, or followed back through type-preserving ops to a Cast/weight. */
export function elementType(name: string, index: GraphIndex, types: Map<string, onnx.ITypeProto>): number | null {
  const seen = new Set<string>();
  const visit = (tensor: string, depth: number): number | null => {
    if (!tensor || seen.has(tensor) || depth > 64) return null;
    seen.add(tensor);
    const declared = types.get(tensor)?.tensorType?.elemType;
    if (declared) return declared;
    const init = index.initializers.get(tensor);
    if (init) return init.dataType ?? null;
    const node = index.producers.get(tensor)?.node;
    if (!node) return null;
    if (node.opType === 'Cast') return intAttribute(node, 'to');
    if (node.opType === 'Constant') return node.attribute?.find((a) => a.name === 'value')?.t?.dataType ?? null;
    // Where(cond, x, y) and the float ops on the attention path keep the type of their data inputs.
    const dataInputs = node.opType === 'Where' ? (node.input ?? []).slice(1) : (node.input ?? []);
    for (const input of dataInputs) {
      const t = visit(input, depth + 1);
      if (t !== null && FLOAT_TYPES.has(t)) return t;
    }
    return null;
  };
  return visit(name, 0);
}
