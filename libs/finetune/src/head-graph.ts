/**
 * Writes a trained linear head into an exported classifier: the old head (everything between
 * the `<s>` hidden state and `logits` that nothing else reads) is removed and one Gemm
 * (`logits = hidden · Wᵀ + b`) takes its place, so the bundle stays one standard `model.onnx`
 * whose `logits` output comes from the new head. Other outputs (attentions.N) are kept.
 */
import { decodeModel, GlassboxError, onnxProto } from '@glassbox/core';
import type { onnx } from 'onnx-proto';
import { findHiddenState } from './hidden-state.js';

export interface LinearHead {
  /** Row-major [numLabels x hiddenSize]. */
  weight: Float32Array;
  /** [numLabels]. */
  bias: Float32Array;
  numLabels: number;
  hiddenSize: number;
}

const HEAD_WEIGHT = 'glassbox.head.weight';
const HEAD_BIAS = 'glassbox.head.bias';

function floatTensor(name: string, dims: number[], data: Float32Array): onnx.TensorProto {
  const raw = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  return onnxProto.TensorProto.fromObject({ name, dims, dataType: onnxProto.TensorProto.DataType.FLOAT, rawData: raw });
}

/** Keeps only the nodes, initializers and value infos the graph outputs need. */
export function pruneGraph(graph: onnx.IGraphProto): void {
  const nodes = graph.node ?? [];
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && producer.set(o, i)));
  const keep = new Set<number>();
  const needed = new Set<string>();
  const stack = (graph.output ?? []).map((o) => o.name ?? '');
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (needed.has(name)) continue;
    needed.add(name);
    const i = producer.get(name);
    if (i === undefined || keep.has(i)) continue;
    keep.add(i);
    for (const input of nodes[i].input ?? []) if (input) stack.push(input);
    // Subgraphs (If/Loop) may read outer tensors by name: keep what they mention too.
    for (const a of nodes[i].attribute ?? []) for (const sub of [a.g, ...(a.graphs ?? [])]) if (sub) for (const n of sub.node ?? []) stack.push(...(n.input ?? []));
  }
  graph.node = nodes.filter((_, i) => keep.has(i));
  graph.initializer = (graph.initializer ?? []).filter((t) => needed.has(t.name ?? ''));
  graph.valueInfo = (graph.valueInfo ?? []).filter((v) => needed.has(v.name ?? ''));
}

/** Replaces the classification head of ONNX model bytes with `head`; returns the new model bytes. */
export function replaceHead(bytes: Uint8Array, head: LinearHead): Uint8Array {
  const model = decodeModel(bytes);
  const site = findHiddenState(model);
  if (site.hiddenSize !== head.hiddenSize) {
    throw new GlassboxError('INVALID_OPTION', `the head reads ${head.hiddenSize} features but the model's hidden state has ${site.hiddenSize}`);
  }
  if (head.weight.length !== head.numLabels * head.hiddenSize || head.bias.length !== head.numLabels) {
    throw new GlassboxError('INVALID_OPTION', `head weights must be [${head.numLabels} x ${head.hiddenSize}] and bias [${head.numLabels}]`);
  }
  const graph = model.graph as onnx.GraphProto;
  // The FEATURES output of a rewritten copy is not part of the bundle.
  graph.output = graph.output.filter((o) => o.name !== 'features');
  graph.node = graph.node.filter((n) => !(n.output ?? []).includes(site.logits));
  graph.node.push(
    onnxProto.NodeProto.fromObject({
      opType: 'Gemm',
      name: 'glassbox/head/Gemm',
      input: [site.tensor, HEAD_WEIGHT, HEAD_BIAS],
      output: [site.logits],
      attribute: [{ name: 'transB', type: onnxProto.AttributeProto.AttributeType.INT, i: 1 }],
    }),
  );
  graph.initializer = graph.initializer.filter((t) => t.name !== HEAD_WEIGHT && t.name !== HEAD_BIAS);
  graph.initializer.push(floatTensor(HEAD_WEIGHT, [head.numLabels, head.hiddenSize], head.weight), floatTensor(HEAD_BIAS, [head.numLabels], head.bias));
  pruneGraph(graph);
  const out = graph.output.find((o) => o.name === site.logits);
  const dims = out?.type?.tensorType?.shape?.dim;
  if (dims && dims.length > 0) dims[dims.length - 1] = onnxProto.TensorShapeProto.Dimension.fromObject({ dimValue: head.numLabels });
  return onnxProto.ModelProto.encode(model).finish();
}
