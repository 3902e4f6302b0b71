/**
 * The transport-neutral data plane: resolve the model version, validate the request, hand it to the
 * version's scheduler, and shape the outputs. Every protocol's handlers call this and only this.
 */
import { dataTypeByOrt } from '../codec/dtypes';
import { BorrowedBytes, type InputData, type InputTensor, type Tensor } from '../codec/tensor-codec';
import { AmaasError, ErrorCode, toAmaasError } from '../errors';
import type { TensorPayload } from '../pool/messages';
import type { ModelRegistry } from '../repository/model-registry';
import { DynamicBatcher } from '../scheduling/dynamic-batcher';
import type { JobInput, Priority } from '../scheduling/scheduler';
import type { ServingVersion } from '../repository/model-version';
import { Identity, assertModelVisible } from '../security';
import { type BatchGroup, type Tenancy, type TenantSettings, refusalOf, shareOf } from '../tenancy';
import { ModelStatistics, RequestOutcome } from './model-statistics';
import type { Protocol, RefusalReason, RequestObserver } from './request-observer';
import type { RequestTrace } from './request-trace';
import { validateRequest } from './request-validation';
import { CacheOutcome, ResponseCaches, requestKey } from '../caching';

export interface InferenceRequest {
  readonly modelName: string;
  /** 0 = the model's default version. */
  readonly modelVersion: number;
  readonly id: string;
  /** The protocol the handler decoded it from (the metrics' protocol label). */
  readonly protocol: Protocol;
  /** Raw numeric inputs may still be borrowed from the receive buffer; the scheduler makes the one copy. */
  readonly inputs: readonly InputTensor[];
  /** Empty = every output. */
  readonly outputNames: readonly string[];
  /**
   * Who asks (set by the handler from the security gate; security/index.ts identityOf). With auth on, a model
   * outside the caller's patterns is refused here like one that does not exist. Undefined: an in-process caller.
   */
  readonly identity?: Identity;
  /** Asked for by the caller (OIP `priority` parameter, amaas.v1 field); capped by the tenant's priority. */
  readonly priority?: Priority;
}

export interface InferenceResult {
  readonly modelName: string;
  readonly modelVersion: number;
  readonly id: string;
  readonly outputs: readonly Tensor[];
  /** How the response cache answered (response_cache on); absent when the model has no cache. */
  readonly cache?: CacheOutcome;
}

export class InferenceService {
  /** Per-model response caches (src/caching/); a model without response_cache never reaches them. */
  readonly caches: ResponseCaches;

  constructor(
    private readonly registry: ModelRegistry,
    /** Per-version counts and durations (ModelStatistics); every request that reaches a version is recorded. */
    readonly statistics = new ModelStatistics(),
    /** Told of every request ModelStatistics records, from the same record, and of refusals; null: none (metrics off). */
    private readonly observer: RequestObserver | null = null,
    /** Per-tenant limits, the job's tenant and usage metering (src/tenancy/); null: none (in-process use, tests). */
    readonly tenancy: Tenancy | null = null,
  ) {
    this.caches = new ResponseCaches(registry);
  }

  /** A refusal made before the service was asked (a draining server's handlers); for the observer. */
  refused(reason: RefusalReason, model = ''): void {
    this.observer?.refusal(model, reason);
  }

  /**
   * `deadline`: when the server must have answered (ms since the epoch; CallSignal.deadline), or undefined.
   * A request whose expected queue wait would pass it is refused at once with AMAAS_ERR_OVERLOADED.
   * `trace`: the request's trace, only when it is traced (src/observability/tracing.ts).
   */
  async infer(request: InferenceRequest, signal?: AbortSignal, deadline?: number, trace?: RequestTrace): Promise<InferenceResult> {
    let target: ServingVersion;
    try {
      assertModelVisible(request.identity, this.registry, request.modelName);
      target = this.registry.resolve(request.modelName, request.modelVersion, true);
    } catch (err) {
      if (this.observer) this.unresolved(request.modelName, err);
      throw err;
    }
    const received = process.hrtime.bigint();
    const tenant = this.tenancy?.settingsOf(request.identity);
    const rows = rowsOf(target, request);
    // Counted now: the scheduler may transfer an input's buffer to the worker, leaving it empty here.
    const bytesIn = tenant ? bytesOf(request.inputs) : 0;
    let started: bigint | undefined;
    // Jobs of a merged batch, grouped to split its run over their rows (usage's compute time).
    let group: BatchGroup | undefined;
    const batches = this.tenancy !== null && target.scheduler instanceof DynamicBatcher;
    const onStart = () => {
      started = process.hrtime.bigint();
      if (batches) group = this.tenancy!.shares.join(target, rows);
    };
    // The tenant's limits, checked before the request is validated or its tensors copied.
    const ticket = tenant && this.admit(tenant, rows, target, request, received, trace, bytesIn);
    try {
      const result = await this.run(target, request, signal, deadline, onStart, trace, tenant);
      this.record(target, request, received, started, null, trace, tenant, group, bytesIn, result);
      return result;
    } catch (err) {
      this.record(target, request, received, started, toAmaasError(err).code, trace, tenant, group, bytesIn);
      throw err;
    } finally {
      ticket?.release();
    }
  }

  /** Admission against the tenant's limits; a refusal is recorded like any other answer, then thrown. */
  private admit(tenant: TenantSettings, rows: number, target: ServingVersion, request: InferenceRequest, received: bigint, trace: RequestTrace | undefined, bytesIn: number) {
    try {
      return this.tenancy!.admit(tenant, rows);
    } catch (err) {
      this.record(target, request, received, undefined, toAmaasError(err).code, trace, tenant, undefined, bytesIn);
      throw err;
    }
  }

  /** Refusals before a version was chosen; a model's name is a label only once the registry has the model. */
  private unresolved(model: string, err: unknown): void {
    const code = toAmaasError(err).code;
    if (code === 'AMAAS_ERR_PERMISSION_DENIED') this.observer!.refusal('', 'auth');
    else if (code === 'AMAAS_ERR_MODEL_UNAVAILABLE') this.observer!.refusal(model, 'unavailable');
  }

  /** One record per request that reached a version, feeding ModelStatistics and the observer alike. */
  private record(
    target: ServingVersion,
    request: InferenceRequest,
    received: bigint,
    started: bigint | undefined,
    errorCode: ErrorCode | null,
    trace: RequestTrace | undefined,
    tenant?: TenantSettings,
    group?: BatchGroup,
    bytesIn = 0,
    result?: InferenceResult,
  ): void {
    const done = process.hrtime.bigint();
    const rows = rowsOf(target, request);
    const cache = result?.cache;
    const outcome: RequestOutcome = {
      ok: errorCode === null,
      batchSize: rows,
      totalNs: done - received,
      // Triton counts hits in queue: zero, or the wait for an identical request's run.
      queueNs: cache?.hit ? (cache.waitNs ?? 0n) : started === undefined ? undefined : started - received,
      computeNs: started === undefined ? undefined : done - started,
      cache,
    };
    this.statistics.record(target.model, target.version, outcome);
    this.observer?.request(target, request.protocol, request.identity, outcome, errorCode);
    trace?.served(target, received, started, done, errorCode);
    if (tenant) {
      this.tenancy!.usage.record({
        tenant: tenant.name,
        model: target.model,
        version: target.version,
        ok: errorCode === null,
        rows,
        refused: refusalOf(errorCode),
        computeNs: outcome.computeNs === undefined ? 0 : Number(outcome.computeNs) * (group ? shareOf(group, rows) : 1),
        bytesIn,
        bytesOut: result ? bytesOf(result.outputs) : 0,
      });
    }
  }

  /**
   * With response_cache, a valid request is answered from the cache or from an identical request's run when it
   * can (no queue, no worker), else computed and stored. It is validated first, as only a valid request has a
   * key; compute() validates again on a miss, which costs far less than the run.
   */
  private async run(...args: Parameters<InferenceService['compute']>): Promise<InferenceResult> {
    const [target, request, signal] = args;
    const cache = this.caches.of(target);
    if (!cache) return this.compute(...args);
    const outputNames = validateRequest(target, request.inputs, request.outputNames);
    const key = requestKey(target.model, target.version, request.inputs, outputNames);
    const served = await cache.serve(target, key, signal, async () => (await this.compute(...args)).outputs);
    return { modelName: target.model, modelVersion: target.version, id: request.id, outputs: served.outputs, cache: served.cache };
  }

  private async compute(
    target: ServingVersion,
    request: InferenceRequest,
    signal: AbortSignal | undefined,
    deadline: number | undefined,
    onStart: () => void,
    trace: RequestTrace | undefined,
    tenant: TenantSettings | undefined,
  ): Promise<InferenceResult> {
    const outputNames = validateRequest(target, request.inputs, request.outputNames);
    const inputs: Record<string, JobInput> = {};
    for (const t of request.inputs) inputs[t.name] = { type: t.datatype.ort, dims: t.shape, data: t.data };
    const outputs = await target.scheduler.submit({
      inputs,
      outputNames,
      signal,
      deadline,
      onStart,
      trace,
      ...(tenant ? { tenant: this.tenancy!.jobTenant(tenant, request.priority) } : {}),
    });
    return {
      modelName: target.model,
      modelVersion: target.version,
      id: request.id,
      outputs: outputNames.map((name) => toTensor(name, outputs[name])),
    };
  }
}

/** Rows of a request: its first dimension when that is the model's (dynamic) batch dimension, else 1. */
function rowsOf(target: ServingVersion, request: InferenceRequest): number {
  const first = request.inputs[0];
  const batched = first && target.signature.inputsByName.get(first.name)?.shape[0] === -1;
  return batched ? (first.shape[0] ?? 1) : 1;
}

/** Bytes of tensor contents (a BYTES tensor: its strings' UTF-8 bytes). */
function bytesOf(tensors: readonly { readonly data: InputData }[]): number {
  let n = 0;
  for (const t of tensors) {
    const d = t.data;
    if (d instanceof BorrowedBytes) n += d.bytes.byteLength;
    else if (Array.isArray(d)) for (const v of d) n += Buffer.byteLength(v);
    else n += (d as ArrayBufferView).byteLength;
  }
  return n;
}

function toTensor(name: string, payload: TensorPayload | undefined): Tensor {
  const datatype = payload && dataTypeByOrt(payload.type);
  if (!payload || !datatype) {
    throw new AmaasError('AMAAS_ERR_INTERNAL', `the worker returned no usable tensor for output '${name}'`);
  }
  return { name, datatype, shape: payload.dims, data: payload.data };
}
