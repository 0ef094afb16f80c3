// The model bundle is this package's folder: config.json, tokenizer.json and model.onnx beside this file.
import { fileURLToPath } from 'node:url';

/** Absolute path of the emotion-mini model bundle (pass it as `modelDir` or `--model`). */
export const modelDir = fileURLToPath(new URL('.', import.meta.url));
