/**
 * The shapes every benchmark shares: what it is told (`BenchContext`) and what it hands back
 * (`BenchResult`, rendered the same way on stdout and in BENCHMARKS.md).
 */

/** Iteration counts for one run: `quick` is a smoke run, not a measurement to publish. */
export interface BenchSettings {
  quick: boolean;
}

/** Texts every benchmark draws from, and where they came from (said in the output). */
export interface BenchTexts {
  texts: readonly string[];
  /** One sentence naming the source, e.g. "GoEmotions dev split, first 2048 texts (read at run time)". */
  source: string;
}

export interface BenchContext {
  settings: BenchSettings;
  /** Absolute path of the repository root. */
  repoRoot: string;
  /** At least as many texts as any benchmark asks for. */
  texts: BenchTexts;
  /** Progress lines (stderr), so stdout carries only the tables. */
  progress(message: string): void;
}

/** A table: a header row and string cells, one row per configuration. */
export interface Table {
  columns: readonly string[];
  rows: ReadonlyArray<readonly string[]>;
}

export interface BenchResult {
  /** Sentences above the table: what was timed, the peer, thread settings, iteration counts. */
  notes: readonly string[];
  table: Table;
  /** Sentences below the table: derived figures (overheads, agreement checks). */
  findings: readonly string[];
  /** Measured figures by dotted key (e.g. `bench.dev.fp32.glassbox` texts/s), for BENCHMARKS.json and the ratios. */
  metrics?: Record<string, number>;
}

/** One benchmark: a name for `--only`, a title, its peer, and the code that measures. */
export interface Benchmark {
  /** kebab-case, unique; what `--only` takes. */
  readonly name: string;
  readonly title: string;
  /** What it is compared with, measured in the same run. */
  readonly peer: string;
  /** Texts it needs from the shared pool (full run, quick run). */
  readonly texts: { full: number; quick: number };
  run(context: BenchContext): Promise<BenchResult>;
}
