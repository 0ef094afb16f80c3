/**
 * Dynamic int8 quantization of an ONNX graph: every MatMul (and Gemm) whose second input is a
 * constant 2-D float weight gets int8 weights with one scale per output channel, and its
 * activations are quantized at run time. Everything else (embeddings, LayerNorm, Softmax, the
 * attention MatMuls between two activations, extra outputs such as `attentions.N`) stays float.
 */
import type { onnx } from 'onnx-proto';
import { GlassboxError } from '../errors.js';
import { decodeModel, externalDataFiles, findAttribute, indexGraph, opsetVersion, proto, tensorFloats, toNumber, type GraphIndex } from './onnx-graph.js';
import { dequantizePerChannel, maxAbsDifference, quantizePerChannel, transpose } from './quantize-math.js';

/**
 * How activations are quantized at run time:
 * - `dynamic-quantize-matmul`: one com.microsoft `DynamicQuantizeMatMul` per weight (ONNX Runtime only);
 * - `matmul-integer`: standard ONNX `DynamicQuantizeLinear` + `MatMulInteger` + `Cast` + `Mul`, as
 *   ONNX Runtime's `quantize_dynamic` writes it (any runtime with opset 11; ONNX Runtime fuses it).
 */
export type QuantizeOperator = 'dynamic-quantize-matmul' | 'matmul-integer';
export const QUANTIZE_OPERATORS: readonly QuantizeOperator[] = ['dynamic-quantize-matmul', 'matmul-integer'];

export interface QuantizeModelOptions {
  /** Default `dynamic-quantize-matmul` (measured faster; see docs/architecture.md). */
  operator?: QuantizeOperator;
  /**
   * Also store embedding tables (Gather over a constant 2-D float table) as int8 with one scale
   * per row, dequantized after the lookup (weights only: a lookup has no activations to
   * quantize). Default true; most of a small model's bytes are its embeddings.
   */
  embeddings?: boolean;
}

export interface QuantizedMatrix {
  /** matmul: a MatMul/Gemm weight, int8 per output channel; embedding: a Gather table, int8 per row. */
  kind: 'matmul' | 'embedding';
  /** The MatMul/Gemm/Gather node replaced. */
  node: string;
  /** The weight it read. */
  weight: string;
  /** matmul: [inputs, outputs] = [K, N], N scales; embedding: [rows, width], one scale per row. */
  shape: [number, number];
  /** Largest |w - dequantized w| over the matrix. */
  maxWeightError: number;
}

export interface QuantizeModelResult {
  bytes: Uint8Array;
  operator: QuantizeOperator;
  matrices: QuantizedMatrix[];
  /** MatMul/Gemm/Gather nodes left in float, with why. */
  skipped: Array<{ node: string; reason: string }>;
  /** Weights now stored as int8. */
  parameters: number;
}

/** Operators that mean a graph is already quantized. */
const QUANTIZED_OPS = new Set([
  'DynamicQuantizeMatMul',
  'DynamicQuantizeLinear',
  'MatMulInteger',
  'MatMulIntegerToFloat',
  'QLinearMatMul',
  'QuantizeLinear',
  'DequantizeLinear',
  'QGemm',
  'QAttention',
  'MatMulNBits',
]);
export const QUANTIZATION_METADATA_KEY = 'glassbox.quantization';

const FLOAT = proto.TensorProto.DataType.FLOAT;
const castToFloat: onnx.IAttributeProto = { name: 'to', type: proto.AttributeProto.AttributeType.INT, i: FLOAT };

interface Weight {
  tensor: onnx.ITensorProto;
  /** Cast/Identity/Constant nodes between the initializer and the MatMul. */
  via: onnx.INodeProto[];
}

/**
 * Quantizes ONNX model bytes. Throws MODEL_ALREADY_QUANTIZED for a graph holding quantized
 * operators, QUANTIZE_UNSUPPORTED for external data, an opset below 11 or nothing to quantize.
 */
export function quantizeModel(bytes: Uint8Array, options: QuantizeModelOptions = {}): QuantizeModelResult {
  const operator = options.operator ?? 'dynamic-quantize-matmul';
  if (!QUANTIZE_OPERATORS.includes(operator)) {
    throw new GlassboxError('INVALID_OPTION', `operator must be one of ${QUANTIZE_OPERATORS.join(', ')}, got ${JSON.stringify(operator)}`);
  }
  const model = decodeModel(bytes);
  const graph = model.graph as onnx.IGraphProto;
  assertQuantizable(model, graph);
  const index = indexGraph(graph);
  const graphInputs = new Set((graph.input ?? []).map((v) => v.name ?? ''));
  const names = new Set<string>([...index.initializers.keys(), ...index.producers.keys(), ...graphInputs]);
  const fresh = (base: string) => {
    let name = base;
    for (let i = 1; names.has(name); i++) name = `${base}_${i}`;
    names.add(name);
    return name;
  };

  const matrices: QuantizedMatrix[] = [];
  const skipped: QuantizeModelResult['skipped'] = [];
  const newInitializers: onnx.ITensorProto[] = [];
  const touched = { nodes: new Set<onnx.INodeProto>(), tensors: new Set<string>() };
  const activationQuant = new Map<string, string[]>();
  const nodes: onnx.INodeProto[] = [];
  let parameters = 0;

  const embeddings = options.embeddings ?? true;
  const quantize = (weight: Weight, matrix: Float32Array, rows: number, cols: number, axis: 0 | 1) => {
    const q = quantizePerChannel(matrix, rows, cols, axis);
    const base = weight.tensor.name ?? 'weight';
    const qName = fresh(`${base}_quantized`);
    const scaleName = fresh(`${base}_scale`);
    newInitializers.push(
      { name: qName, dataType: proto.TensorProto.DataType.INT8, dims: [rows, cols], rawData: new Uint8Array(q.values.buffer) },
      { name: scaleName, dataType: FLOAT, dims: axis === 1 ? [cols] : [rows, 1], rawData: new Uint8Array(q.scales.buffer) },
    );
    for (const v of weight.via) touched.nodes.add(v);
    touched.tensors.add(base);
    parameters += rows * cols;
    return { qName, scaleName, base, maxWeightError: maxAbsDifference(matrix, dequantizePerChannel(q)) };
  };

  for (const node of graph.node ?? []) {
    const label = node.name || node.output?.[0] || '(unnamed)';
    const isMatMul = node.opType === 'MatMul' || node.opType === 'Gemm';
    if (!DEFAULT_DOMAIN.has(node.domain ?? '') || !(isMatMul || (embeddings && node.opType === 'Gather'))) {
      nodes.push(node);
      continue;
    }
    const output = node.output?.[0] ?? '';
    const prefix = `${label}_quant`;
    if (!isMatMul) {
      const table = planGather(node, index, graphInputs);
      if ('reason' in table) {
        if (table.reason) skipped.push({ node: label, reason: table.reason });
        nodes.push(node);
        continue;
      }
      const { qName, scaleName, base, maxWeightError } = quantize(table.weight, table.matrix, table.rows, table.cols, 0);
      const [rowsQ, rowScales, rowsF] = [fresh(`${output}_int8`), fresh(`${output}_row_scale`), fresh(`${output}_int8_float`)];
      const indices = node.input?.[1] ?? '';
      nodes.push(
        { name: `${prefix}_Gather`, opType: 'Gather', input: [qName, indices], output: [rowsQ] },
        { name: `${prefix}_GatherScale`, opType: 'Gather', input: [scaleName, indices], output: [rowScales] },
        { name: `${prefix}_Cast`, opType: 'Cast', input: [rowsQ], output: [rowsF], attribute: [castToFloat] },
        { name: `${prefix}_Mul`, opType: 'Mul', input: [rowsF, rowScales], output: [output] },
      );
      matrices.push({ kind: 'embedding', node: label, weight: base, shape: [table.rows, table.cols], maxWeightError });
      continue;
    }
    const plan = planNode(node, index, graphInputs);
    if ('reason' in plan) {
      skipped.push({ node: label, reason: plan.reason });
      nodes.push(node);
      continue;
    }
    const { weight, matrix, rows, cols, bias } = plan;
    const { qName, scaleName, base, maxWeightError } = quantize(weight, matrix, rows, cols, 1);
    const input = node.input?.[0] ?? '';
    const product = bias ? fresh(`${output}_matmul`) : output;
    if (operator === 'dynamic-quantize-matmul') {
      nodes.push({ name: prefix, opType: 'DynamicQuantizeMatMul', domain: 'com.microsoft', input: [input, qName, scaleName], output: [product] });
    } else {
      let quantized = activationQuant.get(input);
      if (!quantized) {
        quantized = [fresh(`${input}_quantized`), fresh(`${input}_scale`), fresh(`${input}_zero_point`)];
        activationQuant.set(input, quantized);
        nodes.push({ name: fresh(`${input}_DynamicQuantizeLinear`), opType: 'DynamicQuantizeLinear', input: [input], output: quantized });
      }
      const [aq, aScale, aZero] = quantized;
      const [integer, asFloat, scale] = [fresh(`${output}_int32`), fresh(`${output}_int32_float`), fresh(`${output}_scale`)];
      nodes.push(
        { name: `${prefix}_MatMulInteger`, opType: 'MatMulInteger', input: [aq, qName, aZero], output: [integer] },
        { name: `${prefix}_Cast`, opType: 'Cast', input: [integer], output: [asFloat], attribute: [castToFloat] },
        { name: `${prefix}_scale`, opType: 'Mul', input: [aScale, scaleName], output: [scale] },
        { name: `${prefix}_Mul`, opType: 'Mul', input: [asFloat, scale], output: [product] },
      );
    }
    if (bias) nodes.push({ name: `${prefix}_bias`, opType: 'Add', input: [product, bias], output: [output] });
    matrices.push({ kind: 'matmul', node: label, weight: base, shape: [rows, cols], maxWeightError });
  }
  if (!matrices.some((m) => m.kind === 'matmul')) {
    throw new GlassboxError(
      'QUANTIZE_UNSUPPORTED',
      `no MatMul or Gemm of the graph has a constant 2-D float weight to quantize${skipped.length ? ` (${skipped.map((s) => `${s.node}: ${s.reason}`).slice(0, 3).join('; ')})` : ''}`,
    );
  }
  graph.node = dropUnused(nodes, touched.nodes, graph);
  const used = usedTensors(graph);
  graph.initializer = [...(graph.initializer ?? []).filter((t) => !touched.tensors.has(t.name ?? '') || used.has(t.name ?? '')), ...newInitializers];
  const produced = new Set([...graph.node.flatMap((n) => n.output ?? []), ...(graph.initializer ?? []).map((t) => t.name ?? ''), ...graphInputs]);
  graph.valueInfo = (graph.valueInfo ?? []).filter((v) => produced.has(v.name ?? ''));
  if (operator === 'dynamic-quantize-matmul' && opsetVersion(model, 'com.microsoft') === null) {
    model.opsetImport.push(proto.OperatorSetIdProto.create({ domain: 'com.microsoft', version: 1 }));
  }
  const metadata = {
    mode: 'dynamic',
    weights: 'int8, symmetric, per output channel (embedding tables: per row)',
    activations: 'uint8, per tensor, at run time',
    operator,
    matrices: matrices.length,
  };
  model.metadataProps = [
    ...(model.metadataProps ?? []).filter((m) => m.key !== QUANTIZATION_METADATA_KEY),
    proto.StringStringEntryProto.create({ key: QUANTIZATION_METADATA_KEY, value: JSON.stringify(metadata) }),
  ];
  return { bytes: proto.ModelProto.encode(model).finish(), operator, matrices, skipped, parameters };
}

const DEFAULT_DOMAIN = new Set(['', 'ai.onnx']);

function assertQuantizable(model: onnx.ModelProto, graph: onnx.IGraphProto): void {
  const quantizedOps = [...new Set((graph.node ?? []).map((n) => n.opType ?? '').filter((op) => QUANTIZED_OPS.has(op)))];
  const marked = (model.metadataProps ?? []).some((m) => m.key === QUANTIZATION_METADATA_KEY);
  if (quantizedOps.length > 0 || marked) {
    throw new GlassboxError(
      'MODEL_ALREADY_QUANTIZED',
      `the graph is already quantized (${quantizedOps.length > 0 ? `it holds ${quantizedOps.join(', ')}` : `its metadata has ${QUANTIZATION_METADATA_KEY}`}); quantize the fp32 export instead`,
    );
  }
  const external = externalDataFiles(graph);
  if (external.length > 0) {
    throw new GlassboxError(
      'QUANTIZE_UNSUPPORTED',
      `the graph keeps its weights in external data files (${external.join(', ')}), which glassbox quantize does not read; export the model as one .onnx file`,
    );
  }
  const opset = opsetVersion(model, '');
  if (opset !== null && opset < 11) {
    throw new GlassboxError('QUANTIZE_UNSUPPORTED', `the graph uses ONNX opset ${opset}; dynamic quantization needs opset 11 or later (re-export with a newer opset)`);
  }
}

type NodePlan = { weight: Weight; matrix: Float32Array; rows: number; cols: number; bias: string | null } | { reason: string };

/** What replacing one MatMul/Gemm takes: its weight as [K, N] floats and the Gemm bias, or why not. */
function planNode(node: onnx.INodeProto, index: GraphIndex, graphInputs: Set<string>): NodePlan {
  const weight = constantWeight(node.input?.[1] ?? '', index, graphInputs);
  if (!weight) return { reason: 'its weight is not a constant float tensor' };
  const dims = (weight.tensor.dims ?? []).map(toNumber);
  if (dims.length !== 2) return { reason: `its weight has ${dims.length} dimensions, not 2` };
  const values = tensorFloats(weight.tensor);
  if (!values || values.length !== dims[0] * dims[1]) return { reason: 'its weight is not float32 or float16 data' };
  if (node.opType === 'MatMul') return { weight, matrix: values, rows: dims[0], cols: dims[1], bias: null };
  const f = (name: string) => {
    const a = findAttribute(node, name);
    return a?.f === undefined || a.f === null ? 1 : a.f;
  };
  const i = (name: string) => toNumber(findAttribute(node, name)?.i);
  const bias = node.input?.[2] || null;
  if (f('alpha') !== 1 || (bias && f('beta') !== 1)) return { reason: 'Gemm with alpha or beta other than 1' };
  if (i('transA') !== 0) return { reason: 'Gemm with transA' };
  return i('transB') !== 0
    ? { weight, matrix: transpose(values, dims[0], dims[1]), rows: dims[1], cols: dims[0], bias }
    : { weight, matrix: values, rows: dims[0], cols: dims[1], bias };
}

/** An embedding lookup over a constant 2-D table (Gather axis 0); `reason: ''` for Gathers that are not lookups (shapes, indices). */
function planGather(node: onnx.INodeProto, index: GraphIndex, graphInputs: Set<string>): { weight: Weight; matrix: Float32Array; rows: number; cols: number } | { reason: string } {
  const weight = constantWeight(node.input?.[0] ?? '', index, graphInputs);
  if (!weight || (weight.tensor.dims ?? []).length !== 2) return { reason: '' };
  if (toNumber(findAttribute(node, 'axis')?.i) !== 0) return { reason: 'Gather along axis 1 of its table' };
  const [rows, cols] = (weight.tensor.dims ?? []).map(toNumber);
  const matrix = tensorFloats(weight.tensor);
  return matrix && matrix.length === rows * cols ? { weight, matrix, rows, cols } : { reason: '' };
}

/** The initializer (or Constant) behind a tensor, through Cast-to-float and Identity; null if it is computed or a graph input. */
function constantWeight(name: string, index: GraphIndex, graphInputs: Set<string>, depth = 2): Weight | null {
  if (graphInputs.has(name)) return null;
  const init = index.initializers.get(name);
  if (init) return { tensor: init, via: [] };
  const producer = index.producers.get(name)?.node;
  if (!producer || depth === 0) return null;
  if (producer.opType === 'Constant') {
    const t = findAttribute(producer, 'value')?.t;
    return t ? { tensor: t, via: [producer] } : null;
  }
  const castToFloat = producer.opType === 'Cast' && toNumber(findAttribute(producer, 'to')?.i) === FLOAT;
  if (!castToFloat && producer.opType !== 'Identity') return null;
  const inner = constantWeight(producer.input?.[0] ?? '', index, graphInputs, depth - 1);
  return inner ? { tensor: inner.tensor, via: [...inner.via, producer] } : null;
}

function usedTensors(graph: onnx.IGraphProto): Set<string> {
  return new Set([...(graph.node ?? []).flatMap((n) => n.input ?? []), ...(graph.output ?? []).map((o) => o.name ?? '')]);
}

/** Drops the touched Cast/Identity/Constant nodes whose outputs nothing reads any more. */
function dropUnused(nodes: onnx.INodeProto[], candidates: Set<onnx.INodeProto>, graph: onnx.IGraphProto): onnx.INodeProto[] {
  let current = nodes;
  for (;;) {
    const used = usedTensors({ node: current, output: graph.output });
    const next = current.filter((n) => !candidates.has(n) || (n.output ?? []).some((o) => used.has(o)));
    if (next.length === current.length) return next;
    current = next;
  }
}
