/**
 * Settings of the gRPC port's HTTP/2 flow control and of the server process's V8 heap: how fast a client may
 * push request bytes, and how often those bytes cost a full garbage collection. Spread into ServerConfigSchema
 * and resolved from here.
 */
import { z } from 'zod';
import { byteSize } from './byte-size';

/** HTTP/2's own limit on a flow-control window (RFC 9113 §6.9.1). */
const MAX_WINDOW = 2 ** 31 - 1;
/** HTTP/2's initial window; granting less than this would only slow clients down. */
const MIN_WINDOW = 65_535;

export const DEFAULT_FLOW_CONTROL_WINDOW_BYTES = 16 * 2 ** 20;
export const DEFAULT_STREAM_FLOW_CONTROL_WINDOW_BYTES = 2 ** 20;
export const DEFAULT_GC_HEAP_GROWING_PERCENT = 200;

export const TransportSettings = {
  /**
   * Bytes a client may send on one connection before the server has read them (the HTTP/2 connection window).
   * HTTP/2's default, 64 KiB, lets only half a [64, 512] float32 request through per round trip of the gRPC
   * thread; a busy server then throttles its own callers, whose requests age in their send queues and reach it
   * too late to be answered or refused before their deadlines (BENCHMARKS.md, noisy neighbour).
   */
  flow_control_window_bytes: byteSize(MIN_WINDOW, MAX_WINDOW).default(DEFAULT_FLOW_CONTROL_WINDOW_BYTES),
  /** The same for one call (SETTINGS_INITIAL_WINDOW_SIZE): a request up to this size is sent without waiting. */
  stream_flow_control_window_bytes: byteSize(MIN_WINDOW, MAX_WINDOW).default(DEFAULT_STREAM_FLOW_CONTROL_WINDOW_BYTES),
  /**
   * How far (percent of the live heap) V8's heap may grow before a full garbage collection, set on the server
   * process at start. V8 counts Buffer memory (every received request) against that limit, so at its own
   * factor a server with a small heap runs a full mark-compact every few MB received; under a flood of large
   * requests that took more CPU than inference. 0 leaves V8's own heuristic.
   */
  gc_heap_growing_percent: z.number().int().min(0).max(10_000).default(DEFAULT_GC_HEAP_GROWING_PERCENT),
};

const TransportObject = z.object(TransportSettings);

export interface TransportConfig {
  readonly flowControlWindowBytes: number;
  readonly streamFlowControlWindowBytes: number;
  /** 0: V8's own heap growing heuristic. */
  readonly gcHeapGrowingPercent: number;
}

export function resolveTransport(c: z.output<typeof TransportObject>): TransportConfig {
  return {
    flowControlWindowBytes: c.flow_control_window_bytes,
    streamFlowControlWindowBytes: c.stream_flow_control_window_bytes,
    gcHeapGrowingPercent: c.gc_heap_growing_percent,
  };
}
