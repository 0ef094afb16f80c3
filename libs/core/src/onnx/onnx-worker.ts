/**
 * Worker-thread entry: owns one ONNX Runtime session so `run()` blocks this thread, not the
 * caller's event loop. Messages: {type:'run', id, feeds, fetch} -> {id, outputs} | {id, error}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createOnnxSession, type Feeds, type OnnxSessionOptions } from './ort.js';

interface InitData {
  modelPath: string;
  options: OnnxSessionOptions;
}

const port = parentPort;
if (!port) throw new Error('onnx-worker must run in a worker thread');
const { modelPath, options } = workerData as InitData;

const ready = createOnnxSession(modelPath, options);
ready.then(
  (s) => port.postMessage({ type: 'ready', inputNames: s.inputNames, outputNames: s.outputNames }),
  (e: Error & { code?: string }) => port.postMessage({ type: 'ready', error: { message: e.message, code: e.code } }),
);

port.on('message', async (msg: { type: string; id: number; feeds: Feeds; fetch?: string[] }) => {
  if (msg.type === 'dispose') {
    await (await ready).dispose();
    port.close();
    return;
  }
  try {
    const session = await ready;
    const outputs = await session.run(msg.feeds, msg.fetch);
    const transfer = Object.values(outputs).map((t) => t.data.buffer as ArrayBuffer);
    port.postMessage({ type: 'result', id: msg.id, outputs }, transfer);
  } catch (e) {
    const err = e as Error & { code?: string };
    port.postMessage({ type: 'result', id: msg.id, error: { message: err.message, code: err.code } });
  }
});
