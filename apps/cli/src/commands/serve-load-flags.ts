import type { ApiServerOptions } from '@glassbox/api';
import { GlassboxError } from '@glassbox/core';

/** `glassbox serve` flags for load: the rate limiter, admission control and the explanation budget. */
export interface LoadFlags {
  /** --rate-limit RPS: per-client requests per second on the inference routes. */
  rateLimit?: number;
  /** --rate-burst N: requests a client may send at once (default: RPS rounded up). */
  rateBurst?: number;
  maxInputs?: number;
  maxRequestTokens?: number;
  maxQueuedTexts?: number;
  maxQueuedTokens?: number;
  maxExplainUnits?: number;
  maxExplainForwardPasses?: number;
  maxConcurrentExplanations?: number;
  maxQueuedExplanations?: number;
}

/**
 * The server options these flags set, over what the config file says (`fromFile`). A burst
 * without a rate (from a flag or the file) is refused.
 */
export function loadOptionsFromFlags(flags: LoadFlags, fromFile: ApiServerOptions = {}): Partial<ApiServerOptions> {
  const out: Partial<ApiServerOptions> = {};
  const rate = flags.rateLimit ?? fromFile.rateLimit?.requestsPerSecond;
  if (flags.rateBurst !== undefined && rate === undefined) {
    throw new GlassboxError('INVALID_OPTION', '--rate-burst needs --rate-limit RPS (or rateLimit in the config file)');
  }
  if (flags.rateLimit !== undefined || flags.rateBurst !== undefined) {
    const burst = flags.rateBurst ?? (flags.rateLimit === undefined ? fromFile.rateLimit?.burst : undefined);
    out.rateLimit = { requestsPerSecond: rate as number, ...(burst !== undefined && { burst }) };
  }
  for (const key of [
    'maxInputs',
    'maxRequestTokens',
    'maxQueuedTexts',
    'maxQueuedTokens',
    'maxExplainUnits',
    'maxExplainForwardPasses',
    'maxConcurrentExplanations',
    'maxQueuedExplanations',
  ] as const) {
    if (flags[key] !== undefined) out[key] = flags[key];
  }
  return out;
}
