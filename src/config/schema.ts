/**
 * Every setting amaas has, its default, and the one validator. Settings are validated once at startup and
 * frozen; nothing reads process.env or argv after that. The README's config reference mirrors this file.
 */
import os from 'node:os';
import { z } from 'zod';

/** Per-model settings, from `<repo>/<model>/config.yaml` (or config.json). Keys are snake_case, like Triton's. */
export const ModelConfigSchema = z
  .object({
    /** Worker threads, each holding its own InferenceSession. Default: 1. */
    instances: z.number().int().min(1).max(64).optional(),
    /** onnxruntime intra-op threads per worker. Default: the machine's cores divided by `instances` (at least 1). */
    intra_op_threads: z.number().int().min(1).max(256).optional(),
    /** onnxruntime inter-op threads per worker (parallel branches of the graph). Default: 1. */
    inter_op_threads: z.number().int().min(1).max(256).default(1),
    /** Execution provider: `cpu`, `cuda` (fail if unavailable) or `auto` (CUDA if it loads, else CPU). */
    device: z.enum(['cpu', 'cuda', 'auto']).default('cpu'),
    /** Largest first dimension accepted for models with a dynamic first dimension; 0 means no limit. */
    max_batch_size: z.number().int().min(0).default(0),
    /**
     * Let idle intra-op threads spin waiting for work. Off by default: spinning threads steal the cores other
     * workers and the gRPC thread need (measured: two spinning 2-thread workers on 2 cores ran at half speed).
     */
    allow_spinning: z.boolean().default(false),
    /** Requests queued per version before new ones are refused with RESOURCE_EXHAUSTED. */
    max_queue_size: z.number().int().min(1).default(1024),
  })
  .strict();

export type ModelConfigInput = z.input<typeof ModelConfigSchema>;

/** Model settings with every default resolved. */
export interface ModelConfig {
  readonly instances: number;
  readonly intraOpThreads: number;
  readonly interOpThreads: number;
  readonly device: 'cpu' | 'cuda' | 'auto';
  readonly maxBatchSize: number;
  readonly allowSpinning: boolean;
  readonly maxQueueSize: number;
}

export function resolveModelConfig(raw: unknown, cores = os.availableParallelism()): ModelConfig {
  const c = ModelConfigSchema.parse(raw ?? {});
  const instances = c.instances ?? 1;
  return Object.freeze({
    instances,
    intraOpThreads: c.intra_op_threads ?? Math.max(1, Math.floor(cores / instances)),
    interOpThreads: c.inter_op_threads,
    device: c.device,
    maxBatchSize: c.max_batch_size,
    allowSpinning: c.allow_spinning,
    maxQueueSize: c.max_queue_size,
  });
}

/** Server settings, from `--config FILE` (YAML or JSON), AMAAS_* environment variables and flags. */
export const ServerConfigSchema = z
  .object({
    /** Root of the model repository: `<repo>/<model>/<version>/model.onnx`. */
    model_repository: z.string().min(1),
    /** Address to bind. 127.0.0.1 keeps the server private; use 0.0.0.0 in containers. */
    host: z.string().min(1).default('127.0.0.1'),
    /** gRPC port; 0 picks a free one (the bound address is printed). */
    port: z.number().int().min(0).max(65535).default(50051),
    /** Largest gRPC message accepted or sent, in bytes. Larger ones fail with RESOURCE_EXHAUSTED. */
    max_message_bytes: z
      .number()
      .int()
      .min(1024)
      .max(2 ** 31 - 1)
      .default(64 * 1024 * 1024),
    /** BatchPredict items in flight per stream; the server stops reading the stream while this many are. */
    stream_window: z.number().int().min(1).max(65536).default(64),
    /** On SIGTERM/SIGINT, how long in-flight calls may take to finish before they are cancelled. */
    drain_timeout_ms: z.number().int().min(0).default(30_000),
    /** Log level: error, warn, info or debug. */
    log_level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
  })
  .strict();

export type ServerConfigInput = z.input<typeof ServerConfigSchema>;

export interface ServerConfig {
  readonly modelRepository: string;
  readonly host: string;
  readonly port: number;
  readonly maxMessageBytes: number;
  readonly streamWindow: number;
  readonly drainTimeoutMs: number;
  readonly logLevel: 'error' | 'warn' | 'info' | 'debug';
}

export function resolveServerConfig(raw: unknown): ServerConfig {
  const c = ServerConfigSchema.parse(raw);
  return Object.freeze({
    modelRepository: c.model_repository,
    host: c.host,
    port: c.port,
    maxMessageBytes: c.max_message_bytes,
    streamWindow: c.stream_window,
    drainTimeoutMs: c.drain_timeout_ms,
    logLevel: c.log_level,
  });
}
