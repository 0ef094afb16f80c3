/**
 * Small, pure helpers over ONNX protobuf: decoding a model, indexing its graph, reading
 * constant integer tensors, and appending nodes/outputs to a serialized model without
 * re-encoding (so every existing byte, unknown fields and initializers included, stays as is).
 */
import { randomUUID } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';
import type { onnx } from 'onnx-proto';
import { GlassboxError } from '../errors.js';
import { float16ToFloat32 } from './quantize-math.js';

/**
 * The generated protobuf classes. onnx-proto is CommonJS without static named exports, so
 * Node's ESM loader only offers its default export; types come from `import type { onnx }`.
 */
export const proto: typeof onnx = onnxProto.onnx;

type IntLike = number | { toString(): string } | null | undefined;

/** protobufjs hands int64 fields back as numbers or Long objects; this makes them numbers. */
export function toNumber(value: IntLike): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : Number(value.toString());
}

/** Decodes ONNX model bytes; anything that is not a ModelProto with a graph is BUNDLE_FILE_INVALID. */
export function decodeModel(bytes: Uint8Array, what = 'the model'): onnx.ModelProto {
  let model: onnx.ModelProto;
  try {
    model = proto.ModelProto.decode(bytes);
  } catch (cause) {
    throw new GlassboxError(
      'BUNDLE_FILE_INVALID',
      `${what} is not an ONNX model (protobuf decoding failed: ${(cause as Error).message}); pass a .onnx file exported with optimum or torch.onnx`,
      { cause },
    );
  }
  if (!model.graph || (model.graph.node ?? []).length === 0) {
    throw new GlassboxError(
      'BUNDLE_FILE_INVALID',
      `${what} is not an ONNX model (it has no graph with nodes); pass a .onnx file exported with optimum or torch.onnx`,
    );
  }
  return model;
}

/** Version of the operator set imported for `domain` ('' is the default ONNX domain); null if none. */
export function opsetVersion(model: onnx.ModelProto, domain = ''): number | null {
  const wanted = domain === 'ai.onnx' ? '' : domain;
  const entry = model.opsetImport.find((o) => ((o.domain ?? '') === 'ai.onnx' ? '' : (o.domain ?? '')) === wanted);
  return entry ? toNumber(entry.version) : null;
}

export interface GraphIndex {
  /** Node producing each tensor name, with its position in `graph.node`. */
  producers: Map<string, { node: onnx.INodeProto; index: number }>;
  /** Nodes reading each tensor name. */
  consumers: Map<string, onnx.INodeProto[]>;
  /** Initializers by name. */
  initializers: Map<string, onnx.ITensorProto>;
}

export function indexGraph(graph: onnx.IGraphProto): GraphIndex {
  const producers = new Map<string, { node: onnx.INodeProto; index: number }>();
  const consumers = new Map<string, onnx.INodeProto[]>();
  (graph.node ?? []).forEach((node, index) => {
    for (const out of node.output ?? []) if (out) producers.set(out, { node, index });
    for (const input of node.input ?? []) {
      if (!input) continue;
      const list = consumers.get(input);
      if (list) list.push(node);
      else consumers.set(input, [node]);
    }
  });
  const initializers = new Map<string, onnx.ITensorProto>();
  for (const t of graph.initializer ?? []) if (t.name) initializers.set(t.name, t);
  return { producers, consumers, initializers };
}

/**
 * Positions of `graph.node` in a topological order (Kahn's algorithm, ties broken by file
 * order, so an already sorted graph keeps its order). Nodes in a cycle go last, in file order.
 */
export function topologicalOrder(graph: onnx.IGraphProto): number[] {
  const nodes = graph.node ?? [];
  const { producers } = indexGraph(graph);
  const pending = nodes.map(() => 0);
  const dependents: number[][] = nodes.map(() => []);
  nodes.forEach((node, i) => {
    for (const input of new Set(node.input ?? [])) {
      const p = input ? producers.get(input) : undefined;
      if (p && p.index !== i) {
        pending[i]++;
        dependents[p.index].push(i);
      }
    }
  });
  const ready = nodes.map((_, i) => i).filter((i) => pending[i] === 0);
  const order: number[] = [];
  const placed = new Set<number>();
  while (ready.length > 0) {
    ready.sort((a, b) => a - b);
    const i = ready.shift() as number;
    order.push(i);
    placed.add(i);
    for (const d of dependents[i]) if (--pending[d] === 0) ready.push(d);
  }
  nodes.forEach((_, i) => {
    if (!placed.has(i)) order.push(i);
  });
  return order;
}

export function findAttribute(node: onnx.INodeProto, name: string): onnx.IAttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

export function intAttribute(node: onnx.INodeProto, name: string): number | null {
  const a = findAttribute(node, name);
  return a && a.i !== null && a.i !== undefined ? toNumber(a.i) : null;
}

export function intsAttribute(node: onnx.INodeProto, name: string): number[] | null {
  const a = findAttribute(node, name);
  return a ? (a.ints ?? []).map(toNumber) : null;
}

/** Integer values of an int32/int64 tensor (raw or typed storage); null for other types or external data. */
export function tensorInts(tensor: onnx.ITensorProto): number[] | null {
  if (tensor.dataLocation === proto.TensorProto.DataLocation.EXTERNAL) return null;
  const raw = tensor.rawData;
  const view = raw && raw.length > 0 ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : null;
  if (tensor.dataType === proto.TensorProto.DataType.INT64) {
    if (view) return Array.from({ length: view.byteLength / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)));
    return (tensor.int64Data ?? []).map(toNumber);
  }
  if (tensor.dataType === proto.TensorProto.DataType.INT32) {
    if (view) return Array.from({ length: view.byteLength / 4 }, (_, i) => view.getInt32(i * 4, true));
    return (tensor.int32Data ?? []).map(toNumber);
  }
  return null;
}

/**
 * Values of a float32 or float16 tensor as float32 (raw or typed storage); null for other types
 * or external data.
 */
export function tensorFloats(tensor: onnx.ITensorProto): Float32Array | null {
  if (tensor.dataLocation === proto.TensorProto.DataLocation.EXTERNAL) return null;
  const raw = tensor.rawData && tensor.rawData.length > 0 ? tensor.rawData : null;
  if (tensor.dataType === proto.TensorProto.DataType.FLOAT) {
    if (!raw) return Float32Array.from(tensor.floatData ?? []);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    return Float32Array.from({ length: raw.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
  }
  if (tensor.dataType === proto.TensorProto.DataType.FLOAT16) {
    // Typed storage keeps each half's bits in int32_data.
    if (!raw) return float16ToFloat32(Uint16Array.from(tensor.int32Data ?? []));
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    return float16ToFloat32(Uint16Array.from({ length: raw.byteLength / 2 }, (_, i) => view.getUint16(i * 2, true)));
  }
  return null;
}

/**
 * Integer values of a tensor when the graph fixes them: an initializer, a Constant node, or a
 * Concat/Unsqueeze/Identity of such; entries it cannot fix (e.g. a dynamic batch size) are null.
 * Returns null when not even the length is known.
 */
export function constantInts(name: string, graph: GraphIndex, depth = 4): Array<number | null> | null {
  const init = graph.initializers.get(name);
  if (init) return tensorInts(init);
  const producer = graph.producers.get(name)?.node;
  if (!producer || depth < 0) return null;
  switch (producer.opType) {
    case 'Constant': {
      const value = findAttribute(producer, 'value');
      if (value?.t) return tensorInts(value.t);
      const ints = intsAttribute(producer, 'value_ints');
      if (ints && findAttribute(producer, 'value_ints')) return ints;
      const single = intAttribute(producer, 'value_int');
      return single === null ? null : [single];
    }
    case 'Identity':
      return constantInts(producer.input?.[0] ?? '', graph, depth - 1);
    case 'Unsqueeze': {
      // A scalar made into a 1-element vector: known value, or one unknown entry.
      const inner = constantInts(producer.input?.[0] ?? '', graph, depth - 1);
      return inner && inner.length === 1 ? inner : [null];
    }
    case 'Concat': {
      const parts: Array<number | null> = [];
      for (const input of producer.input ?? []) {
        const part = constantInts(input, graph, depth - 1);
        if (!part) return null;
        parts.push(...part);
      }
      return parts;
    }
    default:
      return null;
  }
}

/** External data files (`location`s) that initializers or Constant tensors keep their data in. */
export function externalDataFiles(graph: onnx.IGraphProto): string[] {
  const tensors: onnx.ITensorProto[] = [...(graph.initializer ?? [])];
  for (const node of graph.node ?? []) {
    for (const a of node.attribute ?? []) {
      if (a.t) tensors.push(a.t);
      tensors.push(...(a.tensors ?? []));
    }
  }
  const files = new Set<string>();
  for (const t of tensors) {
    if (t.dataLocation !== proto.TensorProto.DataLocation.EXTERNAL) continue;
    files.add((t.externalData ?? []).find((e) => e.key === 'location')?.value ?? '(unnamed)');
  }
  return [...files];
}

// --- protobuf wire format, just enough to splice into ModelProto.graph ---------------------

const MODEL_GRAPH_FIELD = 7;
const LENGTH_DELIMITED = 2;

function readVarint(bytes: Uint8Array, pos: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= bytes.length) throw new RangeError('truncated varint');
    const b = bytes[pos + i];
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return { value, next: pos + i + 1 };
  }
  throw new RangeError('varint longer than 10 bytes');
}

export function encodeVarint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`cannot encode ${value} as a varint`);
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Uint8Array.from(out);
}

interface WireField {
  field: number;
  wireType: number;
  /** Offset of the tag. */
  start: number;
  /** Offset of the payload (after the length prefix for length-delimited fields). */
  dataStart: number;
  end: number;
}

/** The top-level fields of a protobuf message; throws RangeError on malformed bytes. */
export function scanFields(bytes: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const start = pos;
    const tag = readVarint(bytes, pos);
    const field = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    pos = tag.next;
    let dataStart = pos;
    switch (wireType) {
      case 0:
        pos = readVarint(bytes, pos).next;
        break;
      case 1:
        pos += 8;
        break;
      case 2: {
        const len = readVarint(bytes, pos);
        dataStart = len.next;
        pos = len.next + len.value;
        break;
      }
      case 5:
        pos += 4;
        break;
      default:
        throw new RangeError(`unsupported wire type ${wireType} at byte ${start}`);
    }
    if (field === 0 || pos > bytes.length) throw new RangeError(`malformed field at byte ${start}`);
    fields.push({ field, wireType, start, dataStart, end: pos });
  }
  return fields;
}

/**
 * Appends the repeated entries of `additions` (nodes, outputs, value_info) to the graph of a
 * serialized model. Protobuf concatenates repeated fields, so the result decodes as the
 * original graph with the new entries after the existing ones; no other byte changes.
 */
export function appendToGraph(model: Uint8Array, additions: onnx.IGraphProto): Uint8Array {
  const extra = proto.GraphProto.encode(
    proto.GraphProto.fromObject({ node: additions.node ?? [], output: additions.output ?? [], valueInfo: additions.valueInfo ?? [] }),
  ).finish();
  let fields: WireField[];
  try {
    fields = scanFields(model);
  } catch (cause) {
    throw new GlassboxError('BUNDLE_FILE_INVALID', `the model is not a valid ONNX protobuf: ${(cause as Error).message}`, { cause });
  }
  // Parsers merge repeated occurrences of a message field, so extending the last one is enough.
  const graph = fields.filter((f) => f.field === MODEL_GRAPH_FIELD && f.wireType === LENGTH_DELIMITED).pop();
  if (!graph) throw new GlassboxError('BUNDLE_FILE_INVALID', 'the model has no graph field; pass an ONNX model file');
  const tag = encodeVarint(MODEL_GRAPH_FIELD * 8 + LENGTH_DELIMITED);
  const length = encodeVarint(graph.end - graph.dataStart + extra.length);
  const out = new Uint8Array(model.length - (graph.dataStart - graph.start) + tag.length + length.length + extra.length);
  let pos = 0;
  for (const part of [model.subarray(0, graph.start), tag, length, model.subarray(graph.dataStart, graph.end), extra, model.subarray(graph.end)]) {
    out.set(part, pos);
    pos += part.length;
  }
  return out;
}

/** Writes bytes to a temporary file beside `path`, then renames it into place (never half-written). */
export async function writeBytesAtomic(path: string, bytes: Uint8Array, what = 'the model'): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`);
  try {
    await writeFile(temp, bytes);
    await rename(temp, path);
  } catch (cause) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw new GlassboxError('OUTPUT_FILE', `cannot write ${what} to ${path}: ${(cause as Error).message}`, { cause });
  }
}
