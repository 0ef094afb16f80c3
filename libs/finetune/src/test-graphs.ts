/** Small ONNX graphs for the hidden-state tests, built with onnx-proto. */
import { onnxProto } from '@glassbox/core';
import type { onnx } from 'onnx-proto';

const FLOAT = onnxProto.TensorProto.DataType.FLOAT;
const INT64 = onnxProto.TensorProto.DataType.INT64;

export const node = (opType: string, input: string[], output: string[], attribute: onnx.IAttributeProto[] = []): onnx.INodeProto => ({
  opType,
  input,
  output,
  name: `/${output[0]}`,
  attribute,
});

export const intAttr = (name: string, i: number): onnx.IAttributeProto => ({ name, type: onnxProto.AttributeProto.AttributeType.INT, i });

export function floats(name: string, dims: number[], fill = 0.1): onnx.ITensorProto {
  const size = dims.reduce((a, b) => a * b, 1);
  return { name, dims, dataType: FLOAT, floatData: Array.from({ length: size }, (_, i) => fill * ((i % 7) - 3)) };
}

export function ints(name: string, values: number[], scalar = false): onnx.ITensorProto {
  return { name, dims: scalar ? [] : [values.length], dataType: INT64, int64Data: values };
}

const tensor = (name: string, elemType: number, dims: Array<number | string>): onnx.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});

/**
 * A classifier over `hidden` [batch, seq, 8] (a graph input standing in for the encoder) whose
 * head is given by `head` (nodes from `hidden` to `logits`, 3 labels).
 */
export function headModel(head: onnx.INodeProto[], initializers: onnx.ITensorProto[]): Uint8Array {
  return onnxProto.ModelProto.encode({
    irVersion: 8,
    producerName: 'glassbox-test',
    opsetImport: [{ domain: '', version: 14 }],
    graph: {
      name: 'head',
      input: [tensor('input_ids', INT64, ['batch', 'seq'])],
      output: [tensor('logits', FLOAT, ['batch', 3])],
      initializer: [floats('embeddings', [16, 8]), ...initializers],
      node: [node('Gather', ['embeddings', 'input_ids'], ['hidden']), ...head],
    },
  }).finish();
}

/** The head of an optimum export of RobertaForSequenceClassification: x[:, 0] -> dense -> tanh -> out_proj. */
export function robertaHead(pick: 'Gather' | 'Slice'): Uint8Array {
  const first =
    pick === 'Gather'
      ? [node('Gather', ['hidden', 'zero'], ['cls'], [intAttr('axis', 1)])]
      : [node('Slice', ['hidden', 'starts', 'ends', 'axes'], ['cls3']), node('Squeeze', ['cls3', 'axes'], ['cls'])];
  return headModel(
    [
      ...first,
      node('MatMul', ['cls', 'dense.weight'], ['dense']),
      node('Add', ['dense.bias', 'dense'], ['dense_b']),
      node('Tanh', ['dense_b'], ['pooled']),
      node('MatMul', ['pooled', 'out_proj.weight'], ['out']),
      node('Add', ['out_proj.bias', 'out'], ['logits']),
    ],
    [
      ints('zero', [0], true),
      ints('starts', [0]),
      ints('ends', [1]),
      ints('axes', [1]),
      floats('dense.weight', [8, 8]),
      floats('dense.bias', [8]),
      floats('out_proj.weight', [8, 3]),
      floats('out_proj.bias', [3]),
    ],
  );
}
