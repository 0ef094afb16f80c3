/**
 * Finds the encoder's `<s>` hidden state in an exported sequence classifier and exposes it as a
 * graph output, so a new head can be trained on it. The classification head is found by walking
 * back from `logits` through the head's own operators (MatMul/Gemm + Add, tanh, dropout, casts)
 * to the Gather (or Slice + Squeeze) that takes position 0 of the last hidden layer:
 *
 *   RoBERTa (Hugging Face / optimum export):
 *     hidden[:, 0, :] -Gather(axis 1, index 0)-> classifier.dense (MatMul + Add) -> Tanh
 *       -> classifier.out_proj (MatMul + Add) -> logits
 *   emotion-mini (tools/train-mini): Gather(axis 1, 0) -> Gemm -> Tanh -> Gemm -> logits
 */
import {
  appendToGraph,
  constantInts,
  decodeModel,
  FEATURES_OUTPUT,
  GlassboxError,
  indexGraph,
  intAttribute,
  intsAttribute,
  onnxProto,
  toNumber,
  type GraphIndex,
} from '@glassbox/core';
import type { onnx } from 'onnx-proto';

export interface HiddenStateSite {
  /** Tensor holding the `<s>` hidden state, [batch, hidden]. */
  tensor: string;
  /** Width of the hidden state (from the head's first weight matrix). */
  hiddenSize: number;
  /** The graph output the head ends in (usually `logits`). */
  logits: string;
  /** Nodes of the old head, from the hidden state to the logits. */
  headNodes: string[];
  /** How position 0 is taken: 'Gather' or 'Slice'. */
  pick: 'Gather' | 'Slice';
}

/** Operators a classification head is made of, walked through on the way back from the logits. */
const HEAD_OPS = new Set(['MatMul', 'Gemm', 'Add', 'Tanh', 'Relu', 'Identity', 'Dropout', 'Cast', 'Reshape', 'Flatten']);
const MAX_HEAD_NODES = 16;

function isConstant(name: string, g: GraphIndex): boolean {
  if (g.initializers.has(name)) return true;
  const p = g.producers.get(name)?.node;
  if (!p) return false;
  if (p.opType === 'Constant') return true;
  // fp16 weights stored as initializers and cast to fp32 at load (emotion-mini), or a shape.
  return (p.opType === 'Cast' || p.opType === 'Identity') && isConstant(p.input?.[0] ?? '', g);
}

/** Dims of a constant tensor (through Casts); null when it is not an initializer. */
function constantDims(name: string, g: GraphIndex): number[] | null {
  const init = g.initializers.get(name);
  if (init) return (init.dims ?? []).map(toNumber);
  const p = g.producers.get(name)?.node;
  if (p && (p.opType === 'Cast' || p.opType === 'Identity')) return constantDims(p.input?.[0] ?? '', g);
  return null;
}

/** Input width of a MatMul (weight [in, out]) or Gemm (weight [out, in] with transB=1). */
function weightInputWidth(node: onnx.INodeProto, g: GraphIndex): number | null {
  const dims = constantDims(node.input?.[1] ?? '', g);
  if (!dims || dims.length !== 2) return null;
  if (node.opType === 'Gemm') return intAttribute(node, 'transB') === 1 ? dims[1] : dims[0];
  return dims[0];
}

/** Is `node` a Gather of index 0 on axis 1 (`x[:, 0]`)? */
function isFirstPositionGather(node: onnx.INodeProto, g: GraphIndex): boolean {
  if (node.opType !== 'Gather' || (intAttribute(node, 'axis') ?? 0) !== 1) return false;
  const idx = constantInts(node.input?.[1] ?? '', g);
  return idx !== null && idx.length === 1 && idx[0] === 0;
}

/** Is `node` a Squeeze/Reshape of a Slice that keeps positions [0, 1) of axis 1 (`x[:, 0:1]`)? */
function isFirstPositionSlice(node: onnx.INodeProto, g: GraphIndex): boolean {
  if (node.opType !== 'Squeeze' && node.opType !== 'Reshape') return false;
  const slice = g.producers.get(node.input?.[0] ?? '')?.node;
  if (!slice || slice.opType !== 'Slice') return false;
  const starts = constantInts(slice.input?.[1] ?? '', g) ?? intsAttribute(slice, 'starts');
  const ends = constantInts(slice.input?.[2] ?? '', g) ?? intsAttribute(slice, 'ends');
  const axes = slice.input?.[3] ? constantInts(slice.input[3], g) : intsAttribute(slice, 'axes');
  return !!starts && !!ends && !!axes && axes.length === 1 && axes[0] === 1 && starts[0] === 0 && ends[0] === 1;
}

function notFound(why: string): GlassboxError {
  return new GlassboxError(
    'HIDDEN_STATE_NOT_FOUND',
    `no reachable <s> hidden state: ${why}; glassbox finetune needs a sequence classifier whose head reads position 0 of the last layer ` +
      '(x[:, 0] -> [dense -> tanh ->] out_proj -> logits), as optimum/torch.onnx exports of RoBERTa/BERT-style models have',
  );
}

/** Finds the `<s>` hidden state the classification head reads; HIDDEN_STATE_NOT_FOUND when the graph has none. */
export function findHiddenState(model: onnx.IModelProto): HiddenStateSite {
  const graph = model.graph as onnx.IGraphProto;
  const outputs = (graph.output ?? []).map((o) => o.name ?? '');
  const logits = outputs.includes('logits') ? 'logits' : outputs[0];
  if (!logits) throw notFound('the graph has no outputs');
  const g = indexGraph(graph);
  const headNodes: string[] = [];
  let hiddenSize: number | null = null;
  let current = logits;
  for (let step = 0; step < MAX_HEAD_NODES; step++) {
    const node = g.producers.get(current)?.node;
    if (!node) throw notFound(`\`${current}\` is a graph input, not computed from the encoder`);
    if (isFirstPositionGather(node, g) || isFirstPositionSlice(node, g)) {
      if (headNodes.length === 0 || hiddenSize === null) throw notFound(`\`${logits}\` has no linear layer between it and position 0`);
      return { tensor: current, hiddenSize, logits, headNodes: headNodes.reverse(), pick: node.opType === 'Gather' ? 'Gather' : 'Slice' };
    }
    if (!HEAD_OPS.has(node.opType ?? '')) {
      throw notFound(`walking back from \`${logits}\` reached ${node.opType} (${node.name || current}) before a Gather of position 0`);
    }
    const live = (node.input ?? []).filter((i) => i && !isConstant(i, g));
    if (live.length !== 1) {
      throw notFound(`${node.opType} (${node.name || current}) in the head has ${live.length} non-constant inputs`);
    }
    if (node.opType === 'MatMul' || node.opType === 'Gemm') hiddenSize = weightInputWidth(node, g) ?? hiddenSize;
    headNodes.push(node.name || current);
    current = live[0];
  }
  throw notFound(`more than ${MAX_HEAD_NODES} operators between \`${logits}\` and position 0`);
}

/**
 * Adds the `<s>` hidden state as the graph output `features` ([batch, hidden], float), by
 * appending one Identity node and one output; every existing byte stays as it is.
 */
export function exposeHiddenStateInModel(bytes: Uint8Array): { bytes: Uint8Array; site: HiddenStateSite } {
  const model = decodeModel(bytes);
  const site = findHiddenState(model);
  if ((model.graph?.output ?? []).some((o) => o.name === FEATURES_OUTPUT)) return { bytes, site };
  const output = onnxProto.ValueInfoProto.fromObject({
    name: FEATURES_OUTPUT,
    type: {
      tensorType: {
        elemType: onnxProto.TensorProto.DataType.FLOAT,
        shape: { dim: [{ dimParam: 'batch_size' }, { dimValue: site.hiddenSize }] },
      },
    },
  });
  const node = { opType: 'Identity', name: 'glassbox/features', input: [site.tensor], output: [FEATURES_OUTPUT] };
  return { bytes: appendToGraph(bytes, { node: [node], output: [output] }), site };
}
