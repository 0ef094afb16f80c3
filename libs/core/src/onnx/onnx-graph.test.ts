import { describe, expect, it } from 'vitest';
import { GlassboxError } from '../errors.js';
import type { onnx } from 'onnx-proto';
import { appendToGraph, constantInts, decodeModel, encodeVarint, indexGraph, proto, scanFields, topologicalOrder } from './onnx-graph.js';

function model(graph: onnx.IGraphProto): Uint8Array {
  return proto.ModelProto.encode({ irVersion: 7, producerName: 'test', opsetImport: [{ domain: '', version: 14 }], graph }).finish();
}

const n = (opType: string, input: string[], output: string[]): onnx.INodeProto => ({ opType, input, output, name: output[0] });

describe('protobuf wire helpers', () => {
  it('encodes varints as protobuf does', () => {
    expect(Array.from(encodeVarint(0))).toEqual([0]);
    expect(Array.from(encodeVarint(300))).toEqual([0xac, 0x02]);
    expect(Array.from(encodeVarint(2 ** 35))).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
  });

  it('scans the top-level fields of a message and rejects truncated bytes', () => {
    const bytes = model({ name: 'g', node: [n('Relu', ['x'], ['y'])] });
    expect(scanFields(bytes).map((f) => f.field)).toEqual([1, 2, 7, 8]);
    expect(() => scanFields(bytes.subarray(0, bytes.length - 1))).toThrow(RangeError);
  });
});

describe('appendToGraph', () => {
  it('appends nodes and outputs after the existing ones and keeps every other byte', () => {
    const original = model({ name: 'g', node: [n('Relu', ['x'], ['y'])], output: [{ name: 'y' }] });
    const bytes = appendToGraph(original, { node: [n('Identity', ['y'], ['z'])], output: [{ name: 'z' }] });
    const graph = decodeModel(bytes).graph as onnx.IGraphProto;
    expect(graph.name).toBe('g');
    expect(graph.node?.map((x) => x.opType)).toEqual(['Relu', 'Identity']);
    expect(graph.output?.map((x) => x.name)).toEqual(['y', 'z']);
    const graphField = scanFields(original).find((f) => f.field === 7);
    expect(Buffer.from(bytes.subarray(0, graphField?.start)).equals(Buffer.from(original.subarray(0, graphField?.start)))).toBe(true);
  });

  it('throws BUNDLE_FILE_INVALID for bytes that are not a model', () => {
    expect(() => appendToGraph(Uint8Array.from([0xff]), {})).toThrow(GlassboxError);
    expect(() => decodeModel(new TextEncoder().encode('{"not": "onnx"}'))).toThrow(/not an ONNX model/);
  });
});

describe('graph helpers', () => {
  it('orders nodes topologically, taking the earliest ready node in file order first', () => {
    const graph = { node: [n('Relu', ['b'], ['c']), n('Relu', ['a'], ['b']), n('Relu', ['x'], ['d'])] };
    expect(topologicalOrder(graph)).toEqual([1, 0, 2]);
    expect(topologicalOrder({ node: [n('Relu', ['x'], ['a']), n('Relu', ['a'], ['b'])] })).toEqual([0, 1]);
  });

  it('reads constant shapes through Concat, Unsqueeze and Constant, leaving dynamic entries null', () => {
    const graph: onnx.IGraphProto = {
      initializer: [{ name: 'axes', dims: [1], dataType: 7, int64Data: [0] }],
      node: [
        n('Shape', ['x'], ['s']),
        n('Unsqueeze', ['s', 'axes'], ['batch']),
        {
          opType: 'Constant',
          output: ['heads'],
          attribute: [{ name: 'value', type: 4, t: { dims: [1], dataType: 7, rawData: new Uint8Array(new BigInt64Array([12n]).buffer) } }],
        },
        { opType: 'Constant', output: ['dim'], attribute: [{ name: 'value_ints', type: 7, ints: [64] }] },
        n('Concat', ['batch', 'batch', 'heads', 'dim'], ['shape']),
      ],
    };
    expect(constantInts('shape', indexGraph(graph))).toEqual([null, null, 12, 64]);
  });
});
