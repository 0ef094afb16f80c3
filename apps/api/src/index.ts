export { createApiServer } from './api-server.js';
export type { ApiServer } from './api-server.js';
export { resolveApiOptions } from './api-options.js';
export type { ApiServerOptions, RateLimitOptions, ResolvedApiOptions } from './api-options.js';
export type { ApiServerStats, ServerState } from './api-context.js';
export { API_ERROR_CODES, ApiError, documentedErrorCodes } from './api-errors.js';
export type { ApiErrorCode, ErrorBody } from './api-errors.js';
export { createMicroBatcher } from './micro-batcher.js';
export type { MicroBatcher, MicroBatcherOptions, MicroBatcherStats } from './micro-batcher.js';
