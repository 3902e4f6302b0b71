/**
 * The response cache's one entry point (docs/response-cache.md): what the service and the composition root
 * import. A plain list of exports; the modules behind it hold the code.
 */
export { ResponseCaches } from './response-caches';
export type { CacheSize, CacheView } from './response-caches';
export { ModelCache } from './model-cache';
export type { CacheOutcome, Served } from './model-cache';
export { requestKey } from './request-key';
