/** The public surface of the amaas package. */
export { startServer } from './server';
export type { AmaasServer } from './server';
export { loadServerConfig } from './config/load';
export { resolveServerConfig, resolveModelConfig } from './config/schema';
export type { ServerConfig, ModelConfig } from './config/schema';
export { AmaasClient } from './client/amaas-client';
export type { ClientTensor, PredictOptions, PredictResult, BatchItem, BatchResult, ModelInfo } from './client/amaas-client';
export { batchFile } from './client/batch-file';
export type { BatchFileOptions, BatchProgress, BatchSummary, NpyInput } from './client/batch-file';
export { AmaasError, ErrorCodes } from './errors';
export type { ErrorCode } from './errors';
