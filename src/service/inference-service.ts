/**
 * The transport-neutral data plane: resolve the model version, validate the request, hand it to the
 * version's scheduler, and shape the outputs. Every protocol's handlers call this and only this.
 */
import { dataTypeByOrt } from '../codec/dtypes';
import { BorrowedBytes, type InputData, type InputTensor, type Tensor } from '../codec/tensor-codec';
import { AmaasError, ErrorCode, toAmaasError } from '../errors';
import type { TensorPayload } from '../pool/messages';
import type { ModelRegistry } from '../repository/model-registry';
import type { Cancellation } from '../scheduling/cancellation';
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
  async infer(request: InferenceRequest, signal?: Cancellation, deadline?: number, trace?: RequestTrace): Promise<InferenceResult> {
    let target: ServingVersion;
    try {
      assertModelVisible(request.identity, this.registry, request.modelName);
      target = this.registry.resolve(request.modelName, request.modelVersion, true);
    } catch (err) {
      if (this.observer) this.unresolved(request.modelName, err);
      throw err;
    }
    const tenant = this.tenancy?.settingsOf(request.identity);
    const call: Call = {
      target,
      request,
      received: process.hrtime.bigint(),
      trace,
      tenant,
      rows: rowsOf(target, request),
      // Counted now: the scheduler may transfer an input's buffer to the worker, leaving it empty here.
      bytesIn: tenant ? bytesOf(request.inputs) : 0,
    };
    // Jobs of a merged batch, grouped to split its run over their rows (usage's compute time).
    const batches = this.tenancy !== null && target.scheduler instanceof DynamicBatcher;
    const onStart = () => {
      call.started = process.hrtime.bigint();
      if (batches) call.group = this.tenancy!.shares.join(target, call.rows);
    };
    // The tenant's limits, checked before the request is validated or its tensors copied.
    const ticket = tenant && this.admit(call, tenant);
    try {
      const result = await this.run(call, signal, deadline, onStart);
      this.record(call, null, result);
      return result;
    } catch (err) {
      this.record(call, toAmaasError(err).code);
      throw err;
    } finally {
      ticket?.release();
    }
  }

  /** Admission against the tenant's limits; a refusal is recorded like any other answer, then thrown. */
  private admit(call: Call, tenant: TenantSettings) {
    try {
      return this.tenancy!.admit(tenant, call.rows);
    } catch (err) {
      this.record(call, toAmaasError(err).code);
      throw err;
    }
  }

  /** Refusals before a version was chosen; a model's name is a label only once the registry has the model. */
  private unresolved(model: string, err: unknown): void {
    const code = toAmaasError(err).code;
    if (code === 'AMAAS_ERR_PERMISSION_DENIED') this.observer!.refusal('', 'auth');
    else if (code === 'AMAAS_ERR_MODEL_UNAVAILABLE') this.observer!.refusal(model, 'unavailable');
  }

  /** One record per request that reached a version, feeding ModelStatistics, the observer and usage alike. */
  private record(call: Call, errorCode: ErrorCode | null, result?: InferenceResult): void {
    const { target, request, received, started, trace, tenant, rows } = call;
    const done = process.hrtime.bigint();
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
    trace?.served(target, received, started, done, errorCode, cache?.hit);
    if (tenant) {
      this.tenancy!.usage.record({
        tenant: tenant.name,
        model: target.model,
        version: target.version,
        ok: errorCode === null,
        rows,
        refused: refusalOf(errorCode),
        computeNs: outcome.computeNs === undefined ? 0 : Number(outcome.computeNs) * (call.group ? shareOf(call.group, rows) : 1),
        bytesIn: call.bytesIn,
        bytesOut: result ? bytesOf(result.outputs) : 0,
      });
    }
  }

  /**
   * Validates the request once, then, with response_cache, answers it from the cache or from an identical
   * request's run when it can (no queue, no worker), else computes and stores it; without, computes it.
   */
  private async run(call: Call, signal: Cancellation | undefined, deadline: number | undefined, onStart: () => void): Promise<InferenceResult> {
    const { target, request } = call;
    const outputNames = validateRequest(target, request.inputs, request.outputNames);
    const compute = () => this.compute(call, outputNames, signal, deadline, onStart);
    const cache = this.caches.of(target);
    if (!cache) return compute();
    const key = requestKey(target.model, target.version, request.inputs, outputNames);
    const served = await cache.serve(target, key, signal, async () => (await compute()).outputs);
    return { modelName: target.model, modelVersion: target.version, id: request.id, outputs: served.outputs, cache: served.cache };
  }

  /** Hands a validated request to the version's scheduler and shapes its outputs. */
  private async compute(
    call: Call,
    outputNames: readonly string[],
    signal: Cancellation | undefined,
    deadline: number | undefined,
    onStart: () => void,
  ): Promise<InferenceResult> {
    const { target, request, trace, tenant } = call;
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

/** One request on its way through infer(): what its admission, run and record share, worked out once. */
interface Call {
  readonly target: ServingVersion;
  readonly request: InferenceRequest;
  readonly received: bigint;
  readonly trace: RequestTrace | undefined;
  readonly tenant: TenantSettings | undefined;
  /** The request's rows (rowsOf): the limits', the statistics' and usage's unit. */
  readonly rows: number;
  readonly bytesIn: number;
  /** When it left the queue for a worker; unset while queued, and for a cache hit or a refusal. */
  started?: bigint;
  group?: BatchGroup;
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
