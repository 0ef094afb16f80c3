/**
 * Worker-thread entry: owns one ONNX Runtime session so `run()` blocks this thread, not the
 * caller's event loop. Messages: {type:'run', id, feeds, fetch} -> {id, outputs} | {id, error};
 * {type:'crash'} makes the thread die as a crash would, once no forward pass is running (ending
 * it in the middle of one aborts the whole process in onnxruntime-node), without answering the
 * passes it ran meanwhile.
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

let running = 0;
let crashing = false;
const crashIfIdle = () => {
  if (crashing && running === 0) process.exit(70);
};

port.on('message', async (msg: { type: string; id: number; feeds: Feeds; fetch?: string[] }) => {
  if (msg.type === 'dispose') {
    await (await ready).dispose();
    port.close();
    return;
  }
  if (msg.type === 'crash') {
    crashing = true;
    crashIfIdle();
    return;
  }
  if (crashing) return; // dies as soon as the running passes end
  running++;
  try {
    const session = await ready;
    const outputs = await session.run(msg.feeds, msg.fetch);
    if (crashing) return;
    const transfer = Object.values(outputs).map((t) => t.data.buffer as ArrayBuffer);
    port.postMessage({ type: 'result', id: msg.id, outputs }, transfer);
  } catch (e) {
    if (crashing) return;
    const err = e as Error & { code?: string };
    port.postMessage({ type: 'result', id: msg.id, error: { message: err.message, code: err.code } });
  } finally {
    running--;
    crashIfIdle();
  }
});
