import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeModel, FEATURES_OUTPUT, GlassboxError, toNumber } from '@glassbox/core';
import { exposeHiddenStateInModel, findHiddenState } from './hidden-state.js';
import { floats, headModel, node, robertaHead } from './test-graphs.js';

const mini = fileURLToPath(new URL('../../../models/emotion-mini/model.onnx', import.meta.url));
/** torch.onnx export of Hugging Face's RobertaClassificationHead on a tiny random encoder (tools/finetune/export-roberta-head.py). */
const tinyRoberta = fileURLToPath(new URL('../fixtures/tiny-roberta-classifier.onnx', import.meta.url));

describe('findHiddenState', () => {
  it('finds the <s> hidden state of emotion-mini (Gather -> Gemm -> Tanh -> Gemm)', () => {
    const site = findHiddenState(decodeModel(readFileSync(mini)));
    expect(site).toMatchObject({ tensor: '/model/Gather_output_0', hiddenSize: 128, logits: 'logits', pick: 'Gather' });
    expect(site.headNodes).toEqual(['/model/head_dense/Gemm', '/model/Tanh', '/model/head_out/Gemm']);
  });

  it('finds it in a torch.onnx export of RobertaClassificationHead (Gather -> dense Gemm -> Tanh -> out_proj Gemm)', () => {
    const site = findHiddenState(decodeModel(readFileSync(tinyRoberta)));
    expect(site).toMatchObject({ tensor: '/classifier/Gather_output_0', hiddenSize: 16, logits: 'logits', pick: 'Gather' });
    expect(site.headNodes).toEqual(['/classifier/dense/Gemm', '/classifier/Tanh', '/classifier/out_proj/Gemm']);
  });

  it.each(['Gather', 'Slice'] as const)('finds it in an optimum-style RoBERTa head taking position 0 by %s', (pick) => {
    const site = findHiddenState(decodeModel(robertaHead(pick)));
    expect(site).toMatchObject({ tensor: 'cls', hiddenSize: 8, pick });
    expect(site.headNodes).toEqual(['/dense', '/dense_b', '/pooled', '/out', '/logits']);
  });

  it('refuses a mean-pooled head with HIDDEN_STATE_NOT_FOUND naming where it stopped', () => {
    const pooled = headModel([node('ReduceMean', ['hidden'], ['mean']), node('MatMul', ['mean', 'w'], ['logits'])], [floats('w', [8, 3])]);
    const error = (() => {
      try {
        findHiddenState(decodeModel(pooled));
      } catch (e) {
        return e as GlassboxError;
      }
      return null;
    })();
    expect(error?.code).toBe('HIDDEN_STATE_NOT_FOUND');
    expect(error?.message).toMatch(/reached ReduceMean/);
    expect(error?.message).not.toMatch(/\n/);
  });

  it('refuses position 0 read with no linear layer before the logits', () => {
    const bare = headModel([node('Gather', ['hidden', 'zero'], ['logits'], [{ name: 'axis', type: 2, i: 1 }])], [{ name: 'zero', dims: [], dataType: 7, int64Data: [0] }]);
    expect(() => findHiddenState(decodeModel(bare))).toThrow(/no linear layer/);
  });
});

describe('exposeHiddenStateInModel', () => {
  it('adds a `features` output fed by the hidden state and keeps every original byte', () => {
    const bytes = robertaHead('Gather');
    const { bytes: out } = exposeHiddenStateInModel(bytes);
    const graph = decodeModel(out).graph;
    expect(graph?.output?.map((o) => o.name)).toEqual(['logits', FEATURES_OUTPUT]);
    expect(graph?.node?.at(-1)).toMatchObject({ opType: 'Identity', input: ['cls'], output: [FEATURES_OUTPUT] });
    expect(toNumber(graph?.output?.[1].type?.tensorType?.shape?.dim?.[1]?.dimValue)).toBe(8);
    expect(exposeHiddenStateInModel(out).bytes).toBe(out);
  });
});
