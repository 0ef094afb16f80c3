import { z } from 'zod';

/**
 * One error type for the whole toolkit: a stable `code` callers can branch on, a message that
 * says what to do, and the HTTP status the API answers with.
 */
export const ERROR_CODES = {
  BUNDLE_NOT_FOUND: { status: 404, summary: 'The model directory does not exist or is not a directory.' },
  BUNDLE_FILE_MISSING: { status: 422, summary: 'A file the model bundle needs (model.onnx, config.json, tokenizer.json) is missing.' },
  BUNDLE_FILE_INVALID: { status: 422, summary: 'A bundle file exists but cannot be parsed or lacks a required field.' },
  BUNDLE_VARIANT_MISSING: { status: 422, summary: 'The bundle has no graph of the asked variant (fp32 or quantized); the message names the graphs it has.' },
  MODEL_ALREADY_QUANTIZED: { status: 422, summary: 'glassbox quantize was given a bundle whose only graph is quantized, or a graph that already holds quantized operators; pass the fp32 export.' },
  QUANTIZE_OUTPUT_INVALID: { status: 400, summary: 'glassbox quantize cannot write OUT_DIR: it is the input directory, a file, or already holds an fp32 graph (which would load before the quantized one).' },
  QUANTIZE_UNSUPPORTED: { status: 422, summary: 'The graph cannot be quantized: weights in external data files, an operator set below 11, or no MatMul/Gemm with a constant 2-D float weight.' },
  MODEL_LOAD_FAILED: { status: 500, summary: 'ONNX Runtime could not create a session for the model file.' },
  MODEL_IO_MISMATCH: { status: 500, summary: 'The ONNX graph does not have the inputs/outputs glassbox expects.' },
  INFERENCE_FAILED: { status: 500, summary: 'A forward pass failed inside ONNX Runtime or a worker thread.' },
  INVALID_INPUT: { status: 400, summary: 'An input text is not a string, is empty, or the input list is malformed.' },
  INVALID_OPTION: { status: 400, summary: 'An option has a value outside its documented range.' },
  UNKNOWN_LABEL: { status: 400, summary: 'A label name or id is not one of the model labels.' },
  PLUGIN_INVALID: { status: 500, summary: 'A plugin descriptor is malformed (bad kind, name or description, unknown capability, bad options schema, missing function); the message names it and its source.' },
  PLUGIN_DUPLICATE: { status: 500, summary: 'A plugin with the same kind and name is already registered (the message names both sources).' },
  PLUGIN_UNKNOWN: { status: 400, summary: 'No plugin of that kind is registered under that name (the message lists the registered ones).' },
  PLUGIN_CAPABILITY_MISSING: { status: 422, summary: 'The model lacks a capability the plugin requires (e.g. attention outputs).' },
  PLUGIN_LOAD_FAILED: { status: 500, summary: 'A plugin file or package (--plugin, plugins: in the server config) cannot be found or imported, or has no default export.' },
  PLUGIN_FAILED: { status: 500, summary: 'A plugin threw while it ran; the message names it and its source. That request fails, the process goes on.' },
  WORKER_CRASHED: { status: 503, summary: 'The worker thread running the forward pass died (crash, out of memory); it is being replaced, so retry (Retry-After says when).' },
  ENGINE_DISPOSED: { status: 503, summary: 'The engine was disposed; create a new one.' },
  CALIBRATION_FILE_INVALID: { status: 422, summary: 'A calibration file cannot be parsed or lacks a required field.' },
  CALIBRATION_MODEL_MISMATCH: { status: 409, summary: 'A calibration file was fitted for another model: its model.onnx hash, tokenizer.json hash or labels differ.' },
  ENSEMBLE_INVALID: { status: 422, summary: 'Ensemble members disagree on labels, or weights do not match the members.' },
  INPUT_FILE_UNREADABLE: { status: 400, summary: 'An input file cannot be opened or read.' },
  INPUT_FORMAT: { status: 400, summary: 'An input file is not valid CSV/TSV/JSONL, lacks a column, or holds invalid UTF-8.' },
  OUTPUT_FILE: { status: 500, summary: 'An output file cannot be written.' },
  STORE_UNAVAILABLE: { status: 500, summary: 'No SQLite driver loads on this Node.js (better-sqlite3 not built for it, no node:sqlite).' },
  HIDDEN_STATE_NOT_FOUND: { status: 422, summary: 'glassbox finetune found no <s> hidden state in the graph: walking back from logits through the head did not reach a Gather (or Slice) of position 0.' },
  TRAINING_DATA_INVALID: { status: 400, summary: 'Fine-tuning data cannot train a head: fewer than two classes, or too few rows for the training and validation parts.' },
  RUN_LENGTH_UNCALIBRATED: { status: 409, summary: 'The reference profile holds no drift thresholds calibrated for these monitor settings (window, expected run length, min samples, alpha, statistics) and calibrating was turned off; the message says what differs and how to calibrate.' },
  METRICS_EXPORT_FAILED: { status: 502, summary: 'A push of the metrics (OTLP, console) failed: the collector is down, unreachable or refused them. Logged once per distinct message; predictions go on.' },
  PORT_IN_USE: { status: 409, summary: 'The server cannot listen: another process holds the port (or the address is not this machine\'s); the message says how to pick another.' },
  STORE_FAILED: { status: 503, summary: 'The state database cannot be opened, read or written (locked, corrupt, unreachable, or from a newer glassbox); a server answers 503 with Retry-After so clients retry on another replica.' },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The body of every error response: what `toJSON()` of any GlassboxError gives. */
export const ErrorBodySchema = z.object({
  error: z.string().describe('What went wrong and what to do about it.'),
  error_type: z.string().describe('A stable code to branch on (TEI routes: Validation, Empty, Overloaded, Backend, Unhealthy).'),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

export interface GlassboxErrorOptions {
  cause?: unknown;
  details?: Record<string, unknown>;
}

/** Options of a subclass with its own code table (the API's ApiError): the status its code answers with. */
export interface CodedErrorOptions extends GlassboxErrorOptions {
  status: number;
}

/**
 * The one error class of glassbox. `new GlassboxError(code, ...)` takes a code of ERROR_CODES
 * (engine and library errors) and gets its status from there. A layer with its own codes (the
 * HTTP API's ApiError) subclasses it as `GlassboxError<ItsCode>` and passes each code's status, so
 * every error anyone throws is a GlassboxError with a `code` and a `status`.
 */
export class GlassboxError<C extends string = ErrorCode> extends Error {
  readonly code: C;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: NoInfer<C>, message: string, options?: [C] extends [ErrorCode] ? GlassboxErrorOptions : CodedErrorOptions);
  constructor(code: NoInfer<C>, message: string, options: GlassboxErrorOptions & { status?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GlassboxError';
    this.code = code;
    this.status = options.status ?? (ERROR_CODES as Record<string, { status: number } | undefined>)[code]?.status ?? 500;
    this.details = options.details;
  }

  toJSON(): ErrorBody & { error_type: C } {
    return { error: this.message, error_type: this.code };
  }
}

/** Any glassbox error, the engine's or a subclass's (ApiError): `code` is then any string. */
export function isGlassboxError(e: unknown): e is GlassboxError<string> {
  return e instanceof GlassboxError;
}
