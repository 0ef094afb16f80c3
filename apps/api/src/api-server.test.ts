import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceClient, textClassification } from '@huggingface/inference';
import { Validator } from '@seriousme/openapi-schema-validator';
import { ExplanationSchema } from '@glassbox/explain';
import { PredictResponseSchema } from './routes/glassbox-routes.js';
import { InferResponseSchema, ModelMetadataSchema } from './routes/oip-routes.js';
import { TeiInfoSchema } from './routes/tei-routes.js';
import { LABELS, startTestServer, sum, type TestServer } from './test-server.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const KEY = 'test-key';
const MAX_INPUTS = 8;

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ apiKey: KEY, maxInputs: MAX_INPUTS, maxTextLength: 2000, bodyLimit: '64kb', cors: ['https://app.example'] });
});

afterAll(async () => {
  await t?.server.close();
});

/** Every error reply: a 4xx/5xx JSON body with exactly error and error_type, and no stack trace. */
function expectErrorBody(res: { status: number; headers: Headers; text: string; body: unknown }, status: number, errorType: string): void {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.body).toEqual({ error: expect.any(String), error_type: errorType });
  expect(res.text).not.toMatch(/\bat .*\.(ts|js):\d+|stack/i);
}

describe('service routes', () => {
  it('GET /health and /ready answer 200 once the model is loaded', async () => {
    expect((await t.get('/health')).body).toEqual({ status: 'ok' });
    const ready = await t.get('/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', model: 'emotion-mini' });
  });

  it('/openapi.json is a valid OpenAPI 3.1 document listing every route', async () => {
    const res = await t.get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const result = await new Validator().validate(res.body);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(Object.keys(res.body.paths).sort()).toEqual(
      [
        '/admin/config',
        '/admin/stats',
        '/health',
        '/info',
        '/metrics',
        '/models/{model}',
        '/openapi.json',
        '/predict',
        '/ready',
        '/v1/calibration',
        '/v1/calibration/fit',
        '/v1/calibration/select',
        '/v1/calibration/versions',
        '/v1/explain',
        '/v1/feedback',
        '/v1/monitor',
        '/v1/monitor/history',
        '/v1/monitor/series',
        '/v1/plugins',
        '/v1/predict',
        '/v1/predictions',
        '/v1/predictions/{id}',
        '/v2',
        '/v2/health/live',
        '/v2/health/ready',
        '/v2/models/{name}',
        '/v2/models/{name}/infer',
        '/v2/models/{name}/ready',
      ].sort(),
    );
    const predictBody = res.body.paths['/v1/predict'].post.requestBody.content['application/json'].schema;
    expect(predictBody.required).toEqual(['inputs']);
    expect(Object.keys(predictBody.properties)).toEqual(expect.arrayContaining(['inputs', 'top_k', 'calibrated', 'explain']));
  });

  it('admin routes need the bearer key', async () => {
    expectErrorBody(await t.get('/admin/stats'), 401, 'UNAUTHORIZED');
    expectErrorBody(await t.get('/admin/stats', { authorization: 'Bearer wrong' }), 401, 'UNAUTHORIZED');
    const ok = await t.get('/admin/stats', { authorization: `Bearer ${KEY}` });
    expect(ok.status).toBe(200);
    expect(ok.body.state).toBe('ready');
    const config = await t.get('/admin/config', { authorization: `Bearer ${KEY}` });
    expect(config.body.apiKey).toBe('***');
    expect(config.text).not.toContain(KEY);
  });

  it('answers CORS preflights only for the configured origins', async () => {
    const preflight = await fetch(`${t.base}/v1/predict`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const other = await t.get('/health', { origin: 'https://evil.example' });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('POST /v1/predict', () => {
  it('classifies one text', async () => {
    const res = await t.post('/v1/predict', { inputs: 'I am so happy today, this is wonderful!', top_k: 3 });
    expect(res.status).toBe(200);
    const body = PredictResponseSchema.parse(res.body);
    expect(body.model).toBe('emotion-mini');
    expect(body.calibrated).toBe(false);
    const [p] = body.predictions;
    expect(p.id).toMatch(UUID);
    expect(Object.keys(p.probabilities)).toEqual(LABELS);
    expect(sum(p.probabilities)).toBeCloseTo(1, 6);
    expect(p.label).toBe('joy');
    expect(p.score).toBe(p.probabilities.joy);
    expect(p.abstained).toBe(false);
    expect(p.abstention_reason).toBeNull();
    expect(p.raw).toBeUndefined();
    expect(p.top_k?.map((x) => x.label)[0]).toBe('joy');
    expect(p.top_k).toHaveLength(3);
    expect(p.truncated).toBe(false);
  });

  it('classifies a list in order, each with its own id', async () => {
    const res = await t.post('/v1/predict', { inputs: ['I am so happy today', 'I miss her so much, I cried all night'] });
    const body = PredictResponseSchema.parse(res.body);
    expect(body.predictions.map((p) => p.label)).toEqual(['joy', 'sadness']);
    expect(new Set(body.predictions.map((p) => p.id)).size).toBe(2);
    for (const p of body.predictions) expect(sum(p.probabilities)).toBeCloseTo(1, 6);
  });

  it('adds an explanation when asked', async () => {
    const res = await t.post('/v1/predict', { inputs: 'what a lovely surprise', explain: true });
    const [p] = PredictResponseSchema.parse(res.body).predictions;
    expect(p.explanation?.words.map((w) => w.text)).toEqual(['what', 'a', 'lovely', 'surprise']);
  });

  it('cuts texts over maxTextLength, or refuses them with truncate: false', async () => {
    const long = 'happy '.repeat(400);
    const cut = await t.post('/v1/predict', { inputs: long });
    expect(cut.status).toBe(200);
    expect(cut.body.predictions[0].truncated).toBe(true);
    expectErrorBody(await t.post('/v1/predict', { inputs: long, truncate: false }), 422, 'TEXT_TOO_LONG');
    // Under the character limit but over the model's 128 tokens.
    const res = await t.post('/v1/predict', { inputs: 'happy '.repeat(200), truncate: false });
    expectErrorBody(res, 422, 'TEXT_TOO_LONG');
    expect(res.body.error).toMatch(/tokens/);
  });

  it('merges concurrent requests in the micro-batcher', async () => {
    const before = t.server.stats().batcher;
    const texts = Array.from({ length: 20 }, (_, i) => `request number ${i} makes me happy`);
    const responses = await Promise.all(texts.map((text) => t.post('/v1/predict', { inputs: text })));
    for (const res of responses) {
      expect(res.status).toBe(200);
      expect(sum(res.body.predictions[0].probabilities)).toBeCloseTo(1, 6);
    }
    const after = t.server.stats().batcher;
    expect(after.items - before.items).toBe(20);
    expect(after.batches - before.batches).toBeLessThan(20);
    expect(after.largestBatch).toBeGreaterThan(1);
  });
});

describe('validation errors', () => {
  const cases: Array<[string, unknown, number, string]> = [
    ['missing inputs', {}, 400, 'INVALID_REQUEST'],
    ['inputs of the wrong type', { inputs: 42 }, 400, 'INVALID_REQUEST'],
    ['a non-string in the list', { inputs: ['fine', 7] }, 400, 'INVALID_REQUEST'],
    ['top_k of the wrong type', { inputs: 'hi', top_k: 'three' }, 400, 'INVALID_REQUEST'],
    ['an unknown field', { inputs: 'hi', topk: 3 }, 400, 'INVALID_REQUEST'],
    ['an empty text', { inputs: '' }, 400, 'EMPTY_INPUT'],
    ['a whitespace text', { inputs: ['ok', '   '] }, 400, 'EMPTY_INPUT'],
    ['an empty list', { inputs: [] }, 400, 'EMPTY_INPUT'],
    ['too many inputs', { inputs: Array.from({ length: MAX_INPUTS + 1 }, (_, i) => `text ${i}`) }, 422, 'TOO_MANY_INPUTS'],
    ['a JSON string body', '"just text"', 400, 'INVALID_JSON'],
    ['broken JSON', '{"inputs": ', 400, 'INVALID_JSON'],
  ];
  it.each(cases)('%s', async (_name, body, status, errorType) => {
    expectErrorBody(await t.post('/v1/predict', body), status, errorType);
  });

  it('names the bad field', async () => {
    const res = await t.post('/v1/predict', { inputs: ['fine', 7] });
    expect(res.body.error).toMatch(/^inputs\[1\]: .*expected string/);
    expect((await t.post('/v1/predict', {})).body.error).toBe('inputs: is required');
  });

  it('refuses bodies over bodyLimit with 413', async () => {
    expectErrorBody(await t.post('/v1/predict', { inputs: 'x'.repeat(70_000) }), 413, 'BODY_TOO_LARGE');
  });

  it('answers unknown routes with 404 and wrong methods with 405', async () => {
    expectErrorBody(await t.get('/v1/nothing'), 404, 'ROUTE_NOT_FOUND');
    expectErrorBody(await t.post('/nope', { inputs: 'x' }), 404, 'ROUTE_NOT_FOUND');
    const wrong = await t.get('/v1/predict');
    expectErrorBody(wrong, 405, 'METHOD_NOT_ALLOWED');
    expect(wrong.headers.get('allow')).toBe('POST');
  });

  it('GET /v1/calibration is a 404 JSON error without a calibration', async () => {
    expectErrorBody(await t.get('/v1/calibration'), 404, 'CALIBRATION_NOT_CONFIGURED');
    expectErrorBody(await t.post('/v1/predict', { inputs: 'hi', calibrated: true }), 400, 'INVALID_REQUEST');
  });
});

describe('POST /v1/explain', () => {
  it('returns explainText\'s result', async () => {
    const res = await t.post('/v1/explain', { inputs: 'I am so happy today', methods: ['rollout', 'occlusion'], faithfulness: true });
    expect(res.status).toBe(200);
    const e = ExplanationSchema.parse(res.body);
    expect(e.label).toBe('joy');
    expect(e.target).toBe('joy');
    expect(e.attributions.rollout).toHaveLength(e.tokens.length);
    expect(e.attributions.occlusion).toHaveLength(e.tokens.length);
    expect(Object.keys(e.faithfulness ?? {})).toEqual(expect.arrayContaining(['rollout', 'occlusion']));
    expect(sum(e.probabilities)).toBeCloseTo(1, 6);
  });

  it('explains another target and refuses an unknown one', async () => {
    const res = await t.post('/v1/explain', { inputs: 'I am so happy today', target: 'sadness', methods: ['occlusion'] });
    expect(res.body.target).toBe('sadness');
    expectErrorBody(await t.post('/v1/explain', { inputs: 'hi', target: 'boredom' }), 400, 'UNKNOWN_LABEL');
    expectErrorBody(await t.post('/v1/explain', { inputs: ['a', 'b'] }), 400, 'INVALID_REQUEST');
  });
});

describe('Hugging Face Inference API', () => {
  it('POST /models/:model answers [[{label, score}]] sorted by score', async () => {
    const res = await t.post('/models/emotion-mini', { inputs: 'I am so happy today' });
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(1);
    const [scores] = res.body as Array<Array<{ label: string; score: number }>>;
    expect(scores.map((s) => s.label).sort()).toEqual([...LABELS].sort());
    expect(scores[0].label).toBe('joy');
    expect(scores.map((s) => s.score)).toEqual([...scores.map((s) => s.score)].sort((a, b) => b - a));
    expect(sum(scores.map((s) => s.score))).toBeCloseTo(1, 6);
  });

  it('takes a list, top_k and function_to_apply', async () => {
    const two = await t.post('/models/emotion-mini', { inputs: ['so happy', 'so sad'], parameters: { top_k: 2 } });
    expect(two.body).toHaveLength(2);
    expect(two.body.map((r: unknown[]) => r.length)).toEqual([2, 2]);
    const sigmoid = await t.post('/models/emotion-mini', { inputs: 'so happy', parameters: { function_to_apply: 'sigmoid' } });
    for (const s of sigmoid.body[0]) expect(s.score > 0 && s.score < 1).toBe(true);
    const none = await t.post('/models/emotion-mini', { inputs: 'so happy', parameters: { function_to_apply: 'none' } });
    expect(none.body[0].some((s: { score: number }) => s.score < 0 || s.score > 1)).toBe(true);
  });

  it('answers an unknown model with 404', async () => {
    expectErrorBody(await t.post('/models/someone/else', { inputs: 'hi' }), 404, 'MODEL_NOT_FOUND');
  });

  it('works with the official @huggingface/inference client, unchanged', async () => {
    const endpointUrl = `${t.base}/models/emotion-mini`;
    const client = new InferenceClient(undefined, { endpointUrl });
    const viaClient = await client.textClassification({ inputs: 'I am so happy today' });
    const viaFunction = await textClassification({ endpointUrl, inputs: 'I am so happy today' });
    for (const result of [viaClient, viaFunction]) {
      expect(result).toHaveLength(7);
      for (const r of result) expect(r).toEqual({ label: expect.any(String), score: expect.any(Number) });
      expect(result[0].label).toBe('joy');
      expect(sum(result.map((r) => r.score))).toBeCloseTo(1, 6);
    }
  });
});

describe('text-embeddings-inference', () => {
  it('POST /predict: one input gives a flat sorted list of all labels', async () => {
    const res = await t.post('/predict', { inputs: 'I am so happy today' });
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(7);
    expect(res.body[0]).toEqual({ label: 'joy', score: expect.any(Number) });
    expect(sum(res.body.map((s: { score: number }) => s.score))).toBeCloseTo(1, 6);
  });

  it('POST /predict: a batch gives a list per input; raw_scores gives logits', async () => {
    const res = await t.post('/predict', { inputs: [['I am so happy today'], ['I miss her so much, I cried']] });
    expect(res.body).toHaveLength(2);
    expect(res.body.map((r: Array<{ label: string }>) => r[0].label)).toEqual(['joy', 'sadness']);
    const raw = await t.post('/predict', { inputs: 'I am so happy today', raw_scores: true });
    const v2 = await t.post('/v2/models/emotion-mini/infer', {
      inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['I am so happy today'] }],
      outputs: [{ name: 'logits' }],
    });
    const logits = v2.body.outputs[0].data as number[];
    for (const { label, score } of raw.body) expect(score).toBeCloseTo(logits[LABELS.indexOf(label)], 5);
  });

  it('POST /predict: truncation_direction left keeps the end of a long text', async () => {
    const text = `${'I am furious, this makes me so angry! '.repeat(20)}${'I am so happy and glad, what a joy. '.repeat(20)}`;
    const right = await t.post('/predict', { inputs: text });
    const left = await t.post('/predict', { inputs: text, truncation_direction: 'left' });
    expect(right.body[0].label).toBe('anger');
    expect(left.body[0].label).toBe('joy');
  });

  it('answers TEI errors: Validation 422, Empty 400', async () => {
    expectErrorBody(await t.post('/predict', { inputs: ['a sentence', 'a pair'] }), 422, 'Validation');
    expectErrorBody(await t.post('/predict', { inputs: 5 }), 422, 'Validation');
    expectErrorBody(await t.post('/predict', { inputs: [] }), 400, 'Empty');
    expectErrorBody(await t.post('/predict', { inputs: '' }), 400, 'Empty');
    const many = Array.from({ length: MAX_INPUTS + 1 }, (_, i) => [`text ${i}`]);
    expectErrorBody(await t.post('/predict', { inputs: many }), 422, 'Validation');
    expectErrorBody(await t.post('/predict', '{oops'), 422, 'Validation');
  });

  it('GET /info describes the model and limits', async () => {
    const res = await t.get('/info');
    const info = TeiInfoSchema.parse(res.body);
    expect(info.model_id).toBe('emotion-mini');
    expect(info.id2label).toEqual(Object.fromEntries(LABELS.map((l, i) => [String(i), l])));
    expect(info.max_input_length).toBe(128);
    expect(info.max_batch_tokens).toBe(8192);
    expect(info.max_client_batch_size).toBe(MAX_INPUTS);
  });
});

describe('Open Inference Protocol v2', () => {
  const infer = (body: unknown, name = 'emotion-mini') => t.post(`/v2/models/${name}/infer`, body);
  const textInput = (data: unknown[], shape = [data.length], datatype = 'BYTES') => ({ name: 'text', shape, datatype, data });

  it('POST /v2/models/:name/infer returns FP32 probabilities [N, 7], row-major', async () => {
    const res = await infer({ id: 'req-1', inputs: [textInput(['I am so happy today', 'I miss her so much, I cried', 'that is disgusting'])] });
    expect(res.status).toBe(200);
    const body = InferResponseSchema.parse(res.body);
    expect(body).toMatchObject({ model_name: 'emotion-mini', id: 'req-1' });
    const [out] = body.outputs;
    expect(out).toMatchObject({ name: 'probabilities', shape: [3, 7], datatype: 'FP32' });
    expect(out.data).toHaveLength(21);
    for (let r = 0; r < 3; r++) expect(sum((out.data as number[]).slice(r * 7, r * 7 + 7))).toBeCloseTo(1, 6);
    expect((out.data as number[]).indexOf(Math.max(...(out.data as number[]).slice(0, 7)))).toBe(LABELS.indexOf('joy'));
  });

  it('returns requested outputs, and no id of its own: one would look like an audit id the audit trail does not know', async () => {
    const res = await infer({ inputs: [textInput([['so happy'], ['so sad']], [2, 1])], outputs: [{ name: 'label' }, { name: 'probabilities' }] });
    expect(res.body).not.toHaveProperty('id');
    expect(res.body.outputs.map((o: { name: string }) => o.name)).toEqual(['label', 'probabilities']);
    expect(res.body.outputs[0]).toMatchObject({ shape: [2], datatype: 'BYTES' });
  });

  it('refuses malformed tensors', async () => {
    expectErrorBody(await infer({ inputs: [textInput(['a'], [1], 'FP32')] }), 400, 'INVALID_REQUEST');
    expectErrorBody(await infer({ inputs: [textInput(['a', 'b'], [3])] }), 400, 'INVALID_REQUEST');
    expectErrorBody(await infer({ inputs: [{ ...textInput(['a']), name: 'input_ids' }] }), 400, 'INVALID_REQUEST');
    expectErrorBody(await infer({ inputs: [textInput([1])] }), 400, 'INVALID_REQUEST');
    expectErrorBody(await infer({ inputs: [textInput(['a'])], outputs: [{ name: 'embeddings' }] }), 400, 'INVALID_REQUEST');
    expectErrorBody(await infer({ inputs: [] }), 400, 'EMPTY_INPUT');
    expectErrorBody(await infer({ inputs: [textInput(['a'])] }, 'other'), 404, 'MODEL_NOT_FOUND');
  });

  it('health, readiness and model metadata', async () => {
    expect((await t.get('/v2/health/live')).body).toEqual({ live: true });
    expect((await t.get('/v2/health/ready')).body).toEqual({ ready: true });
    expect((await t.get('/v2/models/emotion-mini/ready')).body).toEqual({ name: 'emotion-mini', ready: true });
    const meta = ModelMetadataSchema.parse((await t.get('/v2/models/emotion-mini')).body);
    expect(meta.inputs).toEqual([{ name: 'text', datatype: 'BYTES', shape: [-1] }]);
    expect(meta.outputs[0]).toEqual({ name: 'probabilities', datatype: 'FP32', shape: [-1, 7] });
    expect(meta.parameters.labels).toEqual(LABELS);
    expectErrorBody(await t.get('/v2/models/other'), 404, 'MODEL_NOT_FOUND');
  });
});
