/**
 * One version of one model and its lifecycle: LOADING -> READY, or -> UNAVAILABLE with a reason;
 * READY -> UNLOADING -> UNAVAILABLE when it is taken down. Only a READY version takes requests.
 */
import type { ModelConfig } from '../config/schema';
import path from 'node:path';
import { AmaasError, toAmaasError } from '../errors';
import { quoted, relativeTo } from '../errors-format';
import { createLogger } from '../observability/logging';
import { SessionPool } from '../pool/session-pool';
import { BatchingPlan, planBatching } from '../scheduling/batching-plan';
import { DynamicBatcher } from '../scheduling/dynamic-batcher';
import type { Scheduler } from '../scheduling/scheduler';
import { UnbatchedScheduler } from '../scheduling/unbatched-scheduler';
import type { ModelHooks } from './model-hooks';
import { ModelSignature, signatureOf } from './signature';
import { verifyChecksum } from './checksum';
import type { MasterKey } from './model-key';
import { ENCRYPTED_MODEL_FILE, isEncryptedModel } from './scanner';
import type { WorkerConfig } from '../pool/messages';

const log = createLogger('repository');

/** The schedulers' fair-queuing settings from the model's config (scheduling-schema.ts). */
const fairness = (c: ModelConfig) => ({ fair: c.scheduling.fairScheduling, priorityAgingMs: c.scheduling.priorityAgingMs });

export type VersionState = 'LOADING' | 'READY' | 'UNLOADING' | 'UNAVAILABLE';

/** What a READY version offers the service. */
export interface ServingVersion {
  readonly model: string;
  readonly version: number;
  readonly signature: ModelSignature;
  readonly scheduler: Scheduler;
  readonly config: ModelConfig;
  /**
   * Most rows (first dimension) one request may carry; 0 = no limit. It is the config's max_batch_size when the
   * version batches with one set explicitly; under the default batch size, larger requests run alone instead.
   */
  readonly maxBatchSize: number;
}

export class ModelVersion {
  private currentState: VersionState = 'LOADING';
  private currentReason = '';
  private lastFailure: AmaasError | null = null;
  private pool: SessionPool | null = null;
  private serving: ServingVersion | null = null;

  constructor(
    readonly model: string,
    readonly version: number,
    readonly modelPath: string,
    readonly config: ModelConfig,
    /** Called after every state change (health checks and watchers listen through the registry). */
    private readonly onStateChange: () => void = () => {},
    /** Load times, batches and worker replacements, for an observer (metrics); none by default. */
    private readonly hooks: ModelHooks = {},
    /** The server's master key, for a version whose file is encrypted (model.onnx.enc); null: none configured. */
    private readonly modelKey: MasterKey | null = null,
  ) {}

  get state(): VersionState {
    return this.currentState;
  }

  /** Why the version is UNAVAILABLE; empty otherwise. */
  get reason(): string {
    return this.currentReason;
  }

  get executionProvider(): string {
    return this.pool?.description.executionProvider ?? '';
  }

  /** What clients should know about the loaded version (a generated warm-up that did not run); [] otherwise. */
  get notes(): readonly string[] {
    return this.pool?.description.notes ?? [];
  }

  get signature(): ModelSignature | null {
    return this.serving?.signature ?? null;
  }

  /** Why the last load failed (with its catalogue code), for the caller of LoadModel; null otherwise. */
  get failure(): AmaasError | null {
    return this.currentState === 'UNAVAILABLE' ? this.lastFailure : null;
  }

  /** The serving handle, or null unless READY. */
  get ready(): ServingVersion | null {
    return this.currentState === 'READY' ? this.serving : null;
  }

  /** The scheduler while loaded, also while UNLOADING drains it (queue depth and in-flight gauges); null otherwise. */
  get scheduler(): Scheduler | null {
    return this.serving?.scheduler ?? null;
  }

  /** For tests and diagnostics: the version's worker pool while it is loaded. */
  get sessionPool(): SessionPool | null {
    return this.pool;
  }

  markUnavailable(reason: string): void {
    this.setState('UNAVAILABLE', reason);
  }

  private setState(state: VersionState, reason = ''): void {
    this.currentState = state;
    this.currentReason = reason;
    this.onStateChange();
  }

  async load(): Promise<void> {
    const started = process.hrtime.bigint();
    this.setState('LOADING');
    const c = this.config;
    try {
      const expected = c.sha256.get(this.version);
      if (expected) await verifyChecksum(this.modelPath, expected);
      const encryption = this.encryption();
      const hooks = this.hooks.versionHooks?.(this.model, this.version) ?? {};
      const pool = await SessionPool.open(
        {
          modelPath: this.modelPath,
          device: c.device,
          intraOpThreads: c.intraOpThreads,
          interOpThreads: c.interOpThreads,
          allowSpinning: c.allowSpinning,
          nice: c.workerNice,
          spinUs: c.workerSpinUs,
          warmup: c.warmup,
          ...(encryption ? { encryption } : {}),
        },
        c.instances,
        `${this.model}/${this.version}`,
        hooks.onWorkerReplaced,
      );
      let signature: ModelSignature;
      let batching: BatchingPlan;
      try {
        signature = signatureOf(pool.description);
        batching = planBatching(this.model, signature, c);
      } catch (err) {
        await pool.close();
        throw err;
      }
      this.pool = pool;
      this.serving = {
        model: this.model,
        version: this.version,
        signature,
        scheduler: batching.enabled
          ? new DynamicBatcher(pool, { ...batching, maxQueueSize: c.maxQueueSize, onBatch: hooks.onBatch, traceBatch: hooks.traceBatch, ...fairness(c) })
          : new UnbatchedScheduler(pool, c.maxQueueSize, fairness(c)),
        config: c,
        maxBatchSize: batching.maxRequestRows,
      };
      this.setState('READY');
      this.hooks.versionLoaded?.(this.model, this.version, Number(process.hrtime.bigint() - started) / 1e9);
      for (const warning of [...pool.description.warnings, ...(pool.description.notes ?? [])]) {
        log.warn(warning, { model: this.model, version: this.version });
      }
      log.info('model version ready', {
        model: this.model,
        version: this.version,
        provider: pool.description.executionProvider,
        instances: c.instances,
        intra_op_threads: c.intraOpThreads,
        max_batch_size: batching.maxBatchSize,
        warmup_runs: c.warmup.runs,
        load_ms: Number((process.hrtime.bigint() - started) / 1_000_000n),
      });
    } catch (err) {
      const e = toAmaasError(err);
      // Clients see the reason: a path under the model's folder that a foreign message names (onnxruntime's, the
      // file system's) is shown relative to that folder. The log keeps the full path.
      const reason = relativeTo(e.message, path.dirname(path.dirname(this.modelPath)));
      this.lastFailure = reason === e.message ? e : new AmaasError(e.code, reason, { cause: e });
      this.markUnavailable(reason);
      log.error('model version failed to load', { model: this.model, version: this.version, code: e.code, reason: e.message, path: this.modelPath });
    }
  }

  /** What the workers need to decrypt an encrypted model file; undefined for a plain one. */
  private encryption(): WorkerConfig['encryption'] {
    if (!isEncryptedModel(this.modelPath)) return undefined;
    if (!this.modelKey) {
      throw new AmaasError(
        'AMAAS_ERR_MODEL_KEY_MISSING',
        `${ENCRYPTED_MODEL_FILE} is encrypted, and the server has no master key: set model_keys.key_file or AMAAS_MODEL_KEY (docs/encryption.md)`,
      );
    }
    return { masterKey: this.modelKey.bytes, model: this.model, version: this.version };
  }

  /** Stops taking requests, finishes queued and running ones, then terminates the workers. */
  async unload(reason = 'unloaded'): Promise<void> {
    if (!this.serving || !this.pool) {
      this.markUnavailable(this.currentReason || reason);
      return;
    }
    // UNLOADING takes the version out of routing at once. The service resolves a version and submits to its
    // scheduler in one synchronous step, so no request that resolved this version can reach stop() unsubmitted;
    // the turn we yield here is a margin for callers that resolve and submit a tick apart.
    this.setState('UNLOADING');
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.serving.scheduler.stop();
    await this.pool.close();
    this.pool = null;
    this.serving = null;
    this.markUnavailable(reason);
    log.info('model version unloaded', { model: this.model, version: this.version });
  }
}

export function unavailableError(model: string, v: ModelVersion): AmaasError {
  const why = v.state === 'UNAVAILABLE' ? `: ${v.reason}` : ` (it is ${v.state})`;
  return new AmaasError('AMAAS_ERR_MODEL_UNAVAILABLE', `model ${quoted(model)} version ${v.version} is not ready${why}`);
}
