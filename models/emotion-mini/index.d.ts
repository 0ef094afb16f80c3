/** Absolute path of the emotion-mini model bundle (pass it as `modelDir` or `--model`). */
export declare const modelDir: string;
