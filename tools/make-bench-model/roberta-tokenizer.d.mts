// Types of roberta-tokenizer.mjs, for the TypeScript that imports it (tools/bench).
export declare const ROBERTA_SPECIALS: readonly string[];
export declare const MASK_TOKEN: string;
export declare function assembleVocab(options: {
  alphabet: readonly string[];
  merges: ReadonlyArray<string | readonly [string, string]>;
  size: number;
  maskLast?: boolean;
  pad?: boolean;
}): { vocab: Record<string, number>; merges: [string, string][] };
export declare function robertaTokenizerJson(vocab: Record<string, number>, merges: [string, string][]): Record<string, unknown>;
export declare function robertaTokenizerConfig(maxLength: number): Record<string, unknown>;
