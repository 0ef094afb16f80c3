import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './test-cli.js';

// A calibration is tied to the tokenizer as well as the graph: the same model.onnx fed other
// token ids gives other logits, so a calibration fitted with one tokenizer.json is refused with another.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const mini = join(root, 'models/emotion-mini');
const work = mkdtempSync(join(tmpdir(), 'glassbox-cal-tokenizer-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const sha256 = (path: string) => `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
const oneLine = (stderr: string) => expect(stderr.trim().split('\n')).toHaveLength(1);

/** The embedded model with a tokenizer.json that still loads but maps " happy" and " angry" to each other's ids. */
function swappedTokenizerModel(): string {
  const dir = join(work, 'swapped');
  mkdirSync(dir);
  for (const f of ['config.json', 'model.onnx']) copyFileSync(join(mini, f), join(dir, f));
  const tokenizer = JSON.parse(readFileSync(join(mini, 'tokenizer.json'), 'utf8'));
  const vocab = tokenizer.model.vocab as Record<string, number>;
  [vocab['Ġhappy'], vocab['Ġangry']] = [vocab['Ġangry'], vocab['Ġhappy']];
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  return dir;
}

const ROWS = [
  'I am so happy today,joy',
  'what a lovely surprise this is,surprise',
  'I am angry about the delay,anger',
  'this smell is disgusting,disgust',
  'I am scared of the dark,fear',
  'the meeting is at noon,neutral',
  'I miss her so much,sadness',
];

describe('a calibration fitted with one tokenizer.json', () => {
  const calibration = join(work, 'calibration.json');
  const data = join(work, 'rows.csv');
  let swapped: string;
  beforeAll(async () => {
    swapped = swappedTokenizerModel();
    writeFileSync(data, `text,label\n${Array.from({ length: 4 }, () => ROWS.join('\n')).join('\n')}\n`);
    const r = await cli('calibrate', '--model', mini, '--data', data, '--method', 'temperature', '--out', calibration);
    expect(r.code).toBe(0);
  }, 120_000);

  it('records the hashes of model.onnx and tokenizer.json', () => {
    const model = JSON.parse(readFileSync(calibration, 'utf8')).model;
    expect(model.id).toBe(sha256(join(mini, 'model.onnx')));
    expect(model.tokenizer).toBe(sha256(join(mini, 'tokenizer.json')));
  });

  it('the altered tokenizer is valid and changes what the same graph says', async () => {
    const [a, b] = await Promise.all([mini, swapped].map((m) => cli('predict', '--json', '--model', m, 'I am so happy today')));
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(JSON.parse(b.stdout)[0].probabilities).not.toEqual(JSON.parse(a.stdout)[0].probabilities);
  });

  it('is refused by evaluate, predict and serve when the bundle has another tokenizer.json, naming both hashes in one line', async () => {
    const message = new RegExp(
      `was fitted with tokenizer ${sha256(join(mini, 'tokenizer.json'))} but this model's tokenizer\\.json is ${sha256(join(swapped, 'tokenizer.json'))}.*\\[CALIBRATION_MODEL_MISMATCH\\]`,
    );
    for (const argv of [
      ['evaluate', '--model', swapped, '--data', data, '--calibration', calibration],
      ['predict', '--model', swapped, '--calibration', calibration, 'hello'],
      ['serve', '--model', swapped, '--calibration', calibration, '--port', '0', '--state', ':memory:'],
    ]) {
      const r = await cli(...argv);
      expect(r.code, argv[0]).not.toBe(0);
      oneLine(r.stderr);
      expect(r.stderr, argv[0]).toMatch(message);
    }
  }, 120_000);

  it('one written before tokenizer hashes is still used, with a one-line warning that says how to regenerate', async () => {
    const old = join(work, 'old.json');
    const file = JSON.parse(readFileSync(calibration, 'utf8'));
    delete file.model.tokenizer;
    writeFileSync(old, JSON.stringify(file));
    const r = await cli('evaluate', '--json', '--model', swapped, '--data', data, '--calibration', old);
    expect(r.code).toBe(0);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/^glassbox: warning: .*old\.json records no tokenizer hash.*regenerate it with `glassbox calibrate`/);
    expect(JSON.parse(r.stdout).calibration).toBe(old);
  }, 120_000);
});
