/**
 * Settings of the bidirectional inference streams (BatchPredict, ModelStreamInfer) beyond flow control:
 * spread into ServerConfigSchema and resolved from here.
 */
import { z } from 'zod';

export const StreamSettings = {
  /**
   * Time each stream item may wait, from when it is read, for items that carry no timeout of their own (the Open
   * Inference Protocol's `timeout` parameter, amaas.v1's BatchPredictRequest.timeout_ms). An item still queued
   * when it runs out is answered DEADLINE_EXCEEDED in-band and never reaches a worker; the stream goes on.
   * Unset: items wait as long as the stream's own deadline allows.
   */
  stream_item_timeout_ms: z.number().int().min(1).max(86_400_000).optional(),
};

const StreamObject = z.object(StreamSettings);

export interface StreamConfig {
  /** null: items carry only their own timeouts. */
  readonly streamItemTimeoutMs: number | null;
}

export function resolveStreams(c: z.output<typeof StreamObject>): StreamConfig {
  return { streamItemTimeoutMs: c.stream_item_timeout_ms ?? null };
}
