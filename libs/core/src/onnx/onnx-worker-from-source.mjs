// Worker entry used only when glassbox runs from its TypeScript sources (the test runner):
// registers tsx in this worker thread, then loads the real worker module. Built code (dist/)
// starts onnx-worker.js directly.
import { register } from 'tsx/esm/api';

register();
await import('./onnx-worker.ts');
