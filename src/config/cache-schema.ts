/**
 * The per-model response cache's setting (src/caching/), kept beside the main schema: ModelConfigSchema takes
 * `response_cache` from here and ModelConfig its resolved form.
 */
import { z } from 'zod';
import { byteSize } from './byte-size';

export const ResponseCacheSettings = {
  /**
   * Answers identical requests from memory, without the queue or a worker (docs/response-cache.md). Off unless
   * set: only a deterministic model (same inputs, same outputs) should have it. `max_bytes`: what the model's
   * cached outputs may hold, over all its versions, as bytes or a size such as `64MiB`; the least recently
   * used entries go first. An answer larger than max_bytes is not cached.
   */
  response_cache: z
    .object({
      max_bytes: byteSize(1, 2 ** 40),
    })
    .strict()
    .optional(),
};

type ResponseCacheParsed = z.output<(typeof ResponseCacheSettings)['response_cache']>;

export interface ResponseCacheConfig {
  readonly maxBytes: number;
}

/** null: the model has no response cache. */
export function resolveResponseCache(c: ResponseCacheParsed): ResponseCacheConfig | null {
  return c ? Object.freeze({ maxBytes: c.max_bytes }) : null;
}
