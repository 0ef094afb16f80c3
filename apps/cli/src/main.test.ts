import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PredictionViewSchema } from '@glassbox/core';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './test-cli.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const devTsv = join(root, '../shared/data/goemotions-ekman/dev.tsv');
const LABELS = ['anger', 'disgust', 'fear', 'joy', 'neutral', 'sadness', 'surprise'];
const work = mkdtempSync(join(tmpdir(), 'glassbox-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const p = join(work, name);
  writeFileSync(p, content);
  return p;
}

function expectOneLineError(r: { code: number; stderr: string }, pattern: RegExp) {
  expect(r.code).not.toBe(0);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^glassbox: /);
  expect(r.stderr).toMatch(pattern);
}

describe('glassbox predict', () => {
  it('--json prints text, label, score and probabilities over the 7 labels summing to 1', async () => {
    const r = await cli('predict', '--json', "I can't believe you did this to me", 'Thanks, this is great!');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ text: string; label: string; score: number; probabilities: Record<string, number> }>;
    expect(rows.map((x) => x.text)).toEqual(["I can't believe you did this to me", 'Thanks, this is great!']);
    for (const row of rows) {
      expect(Object.keys(row.probabilities)).toEqual(LABELS);
      expect(Math.abs(Object.values(row.probabilities).reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
      expect(row.probabilities[row.label]).toBe(row.score);
    }
  });

  it('--top-k adds the k most probable labels in order', async () => {
    const r = await cli('predict', '--json', '--top-k', '2', 'What a lovely day');
    const [row] = JSON.parse(r.stdout);
    expect(row.top_k).toHaveLength(2);
    expect(row.top_k[0].label).toBe(row.label);
    expect(row.top_k[0].score).toBeGreaterThanOrEqual(row.top_k[1].score);
    // The same prediction view /v1/predict serves (built by core's predictionView), plus the text.
    const { text, ...view } = row;
    expect(text).toBe('What a lovely day');
    expect(PredictionViewSchema.strict().parse(view)).toEqual(view);
    expect(view).toMatchObject({ abstained: false, abstention_reason: null, truncated: false });
  });

  it('answers bad input with one line and a non-zero exit', async () => {
    expectOneLineError(await cli('predict', '   '), /empty/);
    expectOneLineError(await cli('predict', '--top-k', 'x', 'hi'), /--top-k must be a positive integer/);
    expectOneLineError(await cli('predict', '--model', join(work, 'nope'), 'hi'), /does not exist/);
    expectOneLineError(await cli('frobnicate'), /unknown command/);
  });
});

describe('glassbox batch', () => {
  const csv = 'id,text\n1,"I love this, it is wonderful"\n2,"This makes me so angry"\n3,"Multi-line\ntext, quoted"\n4,What?\n';

  it('classifies CSV into JSONL and writes the summary', async () => {
    const input = file('in.csv', csv);
    const out = join(work, 'out.jsonl');
    const summaryPath = join(work, 'summary.json');
    const r = await cli('batch', '--in', input, '--out', out, '--summary-json', summaryPath, '--no-progress');
    expect(r.code).toBe(0);
    const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => x.text)).toEqual(['I love this, it is wonderful', 'This makes me so angry', 'Multi-line\ntext, quoted', 'What?']);
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
    expect(summary.count).toBe(4);
    const counted = LABELS.map((l) => summary.labels[l].count);
    expect(counted.reduce((a: number, b: number) => a + b, 0)).toBe(4);
    for (const l of LABELS) {
      expect(summary.labels[l].count).toBe(rows.filter((x) => x.label === l).length);
      const mean = rows.reduce((s, x) => s + x.probabilities[l], 0) / rows.length;
      expect(summary.labels[l].mean_probability).toBeCloseTo(mean, 6);
    }
    expect(r.stdout).toMatch(/4 rows/);
    expect(rows.map((x) => x.truncated)).toEqual([false, false, false, false]);
  });

  it('says when a text was cut to the model\'s maximum length, with its token count, as the API does: JSONL rows, the summary, predict and explain', async () => {
    const out = join(work, 'long.jsonl');
    const summaryPath = join(work, 'long-summary.json');
    const long = 'I am so angry about this. '.repeat(200);
    const r = await cli('batch', '--in', file('long.jsonl', `${JSON.stringify({ text: long })}\n{"text":"short"}\n`), '--out', out, '--summary-json', summaryPath, '--no-progress');
    expect(r.code).toBe(0);
    const [cut, whole] = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(cut).toMatchObject({ truncated: true });
    expect(cut.tokens).toBeGreaterThan(512);
    expect(whole).toMatchObject({ truncated: false });
    expect(whole.tokens).toBeLessThan(8);
    expect(JSON.parse(readFileSync(summaryPath, 'utf8'))).toMatchObject({ truncated: 1, max_tokens: 128 });
    expect(r.stdout).toMatch(/^1 of 2 rows were longer than the model reads \(128 tokens\): only their start was classified \(--long-text chunk reads them whole\)$/m);
    const predicted = JSON.parse((await cli('predict', '--json', long)).stdout);
    expect(predicted[0].truncated).toBe(true);
    expect((await cli('predict', long)).stdout).toContain(`  truncated: first 128 of ${cut.tokens} tokens used (--long-text chunk reads the whole text)\n`);
    expect((await cli('predict', 'short')).stdout).not.toContain('truncated');
    // explain covers what the prediction read, and says so on stderr (stdout stays JSON).
    const explained = await cli('explain', '--json', '--method', 'occlusion', long);
    expect(explained.code).toBe(0);
    const e = JSON.parse(explained.stdout);
    expect(e).toMatchObject({ truncated: true, text_tokens: cut.tokens, windows: 1 });
    expect(e.words.length).toBeLessThan(128);
    expect(explained.stderr).toBe(`glassbox: note: the text has ${cut.tokens} tokens and the model reads 128: the prediction and its explanation cover the first 128 (${e.words.length} words); --long-text chunk reads it all\n`);
  });

  it('writes CSV with one column per label, from headerless GoEmotions-style TSV and from JSONL', async () => {
    const tsv = file('in.tsv', 'so happy for you\t3\tx1\nthat is awful\t1,5\tx2\n');
    const out = join(work, 'out.csv');
    expect((await cli('batch', '--in', tsv, '--out', out, '--no-progress')).code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe(['text', 'label', 'score', ...LABELS].join(','));
    expect(lines).toHaveLength(3);
    const jsonl = file('in.jsonl', '{"body":"hello there"}\n\n{"body":"go away"}\n');
    const out2 = join(work, 'out2.jsonl');
    expect((await cli('batch', '--in', jsonl, '--out', out2, '--text-column', 'body', '--no-progress')).code).toBe(0);
    expect(readFileSync(out2, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('fails in one line on bad input and never leaves a half-written or clobbered output', async () => {
    const out = file('keep.jsonl', 'previous results\n');
    const cases: Array<[string, string | Buffer, RegExp, string[]]> = [
      ['nocol.csv', 'id,body\n1,hi\n', /no column named "text"/, []],
      ['empty.csv', 'text\nfine\n""\nlater\n', /empty\.csv:3: empty text/, []],
      ['badutf8.csv', Buffer.concat([Buffer.from('text\nok\n'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]), /invalid UTF-8/, []],
      ['bad.jsonl', '{"text":"ok"}\n{not json}\n', /bad\.jsonl:2: invalid JSON/, []],
    ];
    for (const [name, content, pattern] of cases) {
      const r = await cli('batch', '--in', file(name, content), '--out', out, '--no-progress');
      expectOneLineError(r, pattern);
      expect(readFileSync(out, 'utf8')).toBe('previous results\n');
    }
    expectOneLineError(await cli('batch', '--in', join(work, 'missing.csv'), '--out', out, '--no-progress'), /cannot read/);
    expectOneLineError(await cli('batch', '--in', file('x.csv', csv), '--out', join(work, 'out.parquet')), /\.jsonl or \.csv/);
    expect(readdirSync(work).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('glassbox evaluate', () => {
  it('scores labeled CSV with names or ids and skips multi-label rows', async () => {
    const data = file('labeled.csv', 'text,label\nI am thrilled,joy\nYou disgust me,1\nso scared right now,fear\nboth,"3,6"\n');
    const r = await cli('evaluate', '--json', '--data', data);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.n).toBe(3);
    expect(res.skipped).toBe(1);
    expect(Object.keys(res.per_class)).toEqual(LABELS);
    const matrix: number[][] = res.confusion.matrix;
    const diagonal = matrix.reduce((s, row, i) => s + row[i], 0);
    expect(res.accuracy).toBeCloseTo(diagonal / 3, 12);
    expect(matrix[3].reduce((a, b) => a + b, 0)).toBe(1);
    expectOneLineError(await cli('evaluate', '--data', file('badlabel.csv', 'text,label\nhi,angry\n')), /label "angry" is neither/);
    // Unlabeled data: the file is named as lacking its label column, with what to do.
    expectOneLineError(await cli('evaluate', '--data', file('notext.csv', 'text\nhello\nworld\n')), /notext\.csv has no label column "label": this command needs labeled rows.*--label-column NAME.*glassbox batch/);
    expectOneLineError(await cli('evaluate', '--data', file('emptylabel.csv', 'text,label\nhello,joy\nworld,\n')), /emptylabel\.csv:3: the label is empty/);
  });

  it.skipIf(!existsSync(devTsv))('reproduces the model card figures on the dev split', async () => {
    const card = JSON.parse(readFileSync(join(root, 'models/emotion-mini/training-result.json'), 'utf8'));
    const r = await cli('evaluate', '--json', '--data', devTsv);
    const res = JSON.parse(r.stdout);
    expect(res.n).toBe(card.dev_single_label_rows);
    expect(res.n + res.skipped).toBe(5426);
    expect(res.accuracy).toBeCloseTo(card.accuracy, 3);
    expect(res.macro_f1).toBeCloseTo(card.macro_f1, 3);
  });
});

describe('the glassbox bin', () => {
  it('runs as a command: exit 0 with JSON on stdout, one line and exit 2 on bad input', () => {
    const bin = join(root, 'apps/cli/bin/glassbox.js');
    const ok = spawnSync(process.execPath, [bin, 'predict', '--json', 'hello'], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)[0].text).toBe('hello');
    const bad = spawnSync(process.execPath, [bin, 'batch', '--in', '/nonexistent.csv', '--out', '/tmp/x.jsonl'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('batch: a missing text column is the only line on stderr, before any progress', () => {
    const bin = join(root, 'apps/cli/bin/glassbox.js');
    const r = spawnSync(process.execPath, [bin, 'batch', '--in', file('nocol-bin.csv', 'id,body\n1,hi\n2,there\n'), '--out', join(work, 'nocol-bin.jsonl')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^glassbox: .*no column named "text".*\[INPUT_FORMAT\]$/)]);
  });

  it('batch: Ctrl-C (SIGINT) mid-run leaves neither a temporary file nor an output', async () => {
    const dir = mkdtempSync(join(work, 'sigint-'));
    const input = file('many.csv', `text\n${Array.from({ length: 40_000 }, (_, i) => `row ${i} I am so happy and a bit scared`).join('\n')}\n`);
    const child = spawn(process.execPath, [join(root, 'apps/cli/bin/glassbox.js'), 'batch', '--in', input, '--out', join(dir, 'out.jsonl'), '--no-progress'], { stdio: 'ignore' });
    const exited = once(child, 'exit');
    const deadline = Date.now() + 60_000;
    while (!readdirSync(dir).some((f) => f.endsWith('.tmp')) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(dir).some((f) => f.endsWith('.tmp'))).toBe(true);
    child.kill('SIGINT');
    const [code] = await exited;
    expect(code).toBe(130);
    expect(readdirSync(dir)).toEqual([]);
  }, 90_000);

  it('serve: answers on loopback, then shuts down cleanly on SIGTERM', async () => {
    // In a scratch directory: serve keeps its state in ./glassbox-data by default.
    const child = spawn(process.execPath, [join(root, 'apps/cli/bin/glassbox.js'), 'serve', '--port', '0', '--host', '127.0.0.1'], {
      cwd: work,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (c: Buffer) => {
        log += c.toString();
        const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
        if (m) resolve(m[1]);
      });
      child.once('exit', () => reject(new Error(`serve exited: ${log}`)));
    });
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    const res = await fetch(`${url}/models/emotion-mini`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: 'so happy' }) });
    const [scores] = (await res.json()) as Array<Array<{ label: string; score: number }>>;
    expect(scores).toHaveLength(7);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  }, 60_000);
});
