/**
 * Typed client for amaas.v1, for Node services: typed arrays in, typed arrays out, over the raw (fast) path.
 *
 *   const client = new AmaasClient('127.0.0.1:50051');
 *   const { outputs } = await client.predict('scale', { x: { data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] } });
 *   outputs.y.data // Float32Array [3, 5, 7, 9]
 *
 * Against a server with auth and TLS: new AmaasClient(address, { apiKey, tls: { ca, cert, key } }) (PEM contents;
 * cert and key only for mTLS). The key goes as `authorization: Bearer` on every call, both services.
 *
 * Many replicas: new AmaasClient('dns:///amaas-headless:50051') or ('10.0.0.1:50051,10.0.0.2:50051') balances
 * calls round-robin and retries UNAVAILABLE and RESOURCE_EXHAUSTED on another backend (src/client/balancing.ts);
 * `retry: true` adds the retries to a single address (one behind a balancer).
 */
import * as grpc from '@grpc/grpc-js';
import type { WireBatchPredictRequest, WireBatchPredictResponse, WireModelMetadata, WirePredictRequest, WirePredictResponse } from '../api/amaas-v1/messages';
import { amaasV1Service, modelRepositoryService } from '../api/protos';
import { ERROR_CODE_METADATA_KEY } from '../api/status-map';
import { CUT_ANSWER_RESENDS, RetryPolicy, balancingOptions, channelTarget, isCutAnswer, retriesEnabled } from './balancing';
import { ClientTlsOptions, bearerInterceptor, channelCredentials } from './client-channel';
import {
  ClientTensor,
  ModelInfo,
  PredictOptions,
  PredictResult,
  TenantUsage,
  WireTenantUsage,
  fromModelMetadata,
  fromPredictResponse,
  fromTenantUsage,
  toPredictRequest,
} from './client-wire';

export { ClientTlsOptions, bearerInterceptor, channelCredentials } from './client-channel';
export {
  ClientTensor,
  ModelInfo,
  OutputTensor,
  PredictOptions,
  PredictResult,
  TenantUsage,
  decodeWireOutput,
  encodeClientTensor,
  fromModelMetadata,
  fromPredictResponse,
} from './client-wire';

export interface BatchItem extends Omit<PredictOptions, 'timeoutMs'> {
  readonly id: string;
  readonly model: string;
  readonly inputs: Record<string, ClientTensor>;
  /**
   * Milliseconds this item may wait, from when the server reads it (BatchPredictRequest.timeout_ms); still queued
   * then, it is answered DEADLINE_EXCEEDED without running. Default: the server's stream_item_timeout_ms, if set.
   */
  readonly timeoutMs?: number;
}

export type BatchResult =
  | { readonly id: string; readonly ok: true; readonly result: PredictResult }
  | { readonly id: string; readonly ok: false; readonly code: grpc.status; readonly message: string; readonly errorCode: string };

/** A gRPC failure with amaas's stable error code, when the server sent one. */
export type AmaasCallError = grpc.ServiceError & { errorCode?: string };

function withErrorCode(err: grpc.ServiceError): AmaasCallError {
  const code = err.metadata?.get(ERROR_CODE_METADATA_KEY)?.[0];
  return Object.assign(err, { errorCode: code === undefined ? undefined : String(code) });
}

export interface AmaasClientOptions {
  /** Sent as `authorization: Bearer <apiKey>` on every call. */
  readonly apiKey?: string;
  /** Connect over TLS (the server has tls.* set). Ignored when `credentials` is given. */
  readonly tls?: ClientTlsOptions;
  /** Full control over the channel's credentials (then `tls` is not used). */
  readonly credentials?: grpc.ChannelCredentials;
  readonly channelOptions?: grpc.ChannelOptions;
  /**
   * Retries of UNAVAILABLE and RESOURCE_EXHAUSTED inference calls, within each call's deadline (balancing.ts).
   * Default: on for a list or dns:/// address, off for one host:port; true: the default policy; false: never.
   */
  readonly retry?: RetryPolicy | boolean;
}

type Unary<Req, Res> = (req: Req, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: Res) => void) => void;

export class AmaasClient {
  private readonly stub: grpc.Client & Record<string, unknown>;
  /** amaas.v1.ModelRepositoryService, sharing the channel of `stub`. */
  private readonly admin: grpc.Client & Record<string, unknown>;
  /** Retries on: predict also resends an answer a dying replica cut off (balancing.ts, CUT_ANSWER_RESENDS). */
  private readonly resendCutAnswers: boolean;

  constructor(address = '127.0.0.1:50051', options: AmaasClientOptions = {}) {
    const credentials = channelCredentials(options);
    this.resendCutAnswers = retriesEnabled(address, options.retry);
    const interceptors = options.apiKey === undefined ? [] : [bearerInterceptor(options.apiKey)];
    const Service = amaasV1Service();
    this.stub = new Service(channelTarget(address), credentials, {
      'grpc.max_receive_message_length': -1,
      ...balancingOptions(address, options.retry),
      ...options.channelOptions,
      interceptors,
    }) as grpc.Client & Record<string, unknown>;
    const Admin = modelRepositoryService();
    this.admin = new Admin(channelTarget(address), credentials, {
      channelOverride: this.stub.getChannel(),
      interceptors,
    }) as grpc.Client & Record<string, unknown>;
  }

  private unary<Req, Res>(method: string, req: Req, timeoutMs?: number): Promise<Res> {
    const fn = (this.stub[method] as Unary<Req, Res>).bind(this.stub);
    const options: grpc.CallOptions = timeoutMs === undefined ? {} : { deadline: Date.now() + timeoutMs };
    return new Promise((resolve, reject) => fn(req, options, (err, res) => (err ? reject(withErrorCode(err)) : resolve(res))));
  }

  async predict(model: string, inputs: Record<string, ClientTensor>, options: PredictOptions = {}): Promise<PredictResult> {
    const request = toPredictRequest(model, inputs, options);
    const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
    for (let resends = 0; ; resends++) {
      try {
        const res = await this.unary<WirePredictRequest, WirePredictResponse>('Predict', request, deadline === undefined ? undefined : deadline - Date.now());
        return fromPredictResponse(res);
      } catch (err) {
        const again = this.resendCutAnswers && resends < CUT_ANSWER_RESENDS && isCutAnswer(err as AmaasCallError) && (deadline === undefined || Date.now() < deadline);
        if (!again) throw err;
      }
    }
  }

  /**
   * Streams items through one BatchPredict call and yields each result as it arrives (possibly out of
   * order: match by id). Honours flow control: stops pulling items while the server is not reading.
   */
  async *batchPredict(items: AsyncIterable<BatchItem> | Iterable<BatchItem>): AsyncGenerator<BatchResult> {
    const call = (this.stub.BatchPredict as () => grpc.ClientDuplexStream<WireBatchPredictRequest, WireBatchPredictResponse>).call(this.stub);
    let pumpError: unknown = null;
    let callDone = false;
    // Resolves once the call is over, so the cleanup below never waits on an `items` iterator that is itself
    // waiting (a windowed producer waits for answers, and none come once the call has ended).
    const ended = new Promise<void>((resolve) =>
      call.on('status', () => {
        callDone = true;
        resolve();
      }),
    );
    const pump = (async () => {
      try {
        for await (const item of items) {
          if (callDone) return;
          const request = toPredictRequest(item.model, item.inputs, item);
          if (!call.write({ request, timeout_ms: item.timeoutMs ? Math.ceil(item.timeoutMs) : 0 })) await writable(call);
        }
        if (!callDone) call.end();
      } catch (err) {
        pumpError = err;
        call.cancel();
      }
    })();
    try {
      for await (const msg of call as AsyncIterable<WireBatchPredictResponse>) {
        if (msg.status.code === grpc.status.OK && msg.response) {
          yield { id: msg.id, ok: true, result: fromPredictResponse(msg.response) };
        } else {
          yield { id: msg.id, ok: false, code: msg.status.code, message: msg.status.message, errorCode: msg.status.error_code };
        }
      }
    } catch (err) {
      if (pumpError) throw pumpError;
      throw withErrorCode(err as grpc.ServiceError);
    } finally {
      call.cancel();
      await Promise.race([pump, ended]);
    }
    if (pumpError) throw pumpError;
  }

  async listModels(): Promise<ModelInfo[]> {
    const res = await this.unary<object, { models: WireModelMetadata[] }>('ListModels', {});
    return res.models.map(fromModelMetadata);
  }

  async getModelMetadata(model: string, version = 0): Promise<ModelInfo> {
    const res = await this.unary<object, { metadata: WireModelMetadata }>('GetModelMetadata', { model_name: model, model_version: version });
    return fromModelMetadata(res.metadata);
  }

  /** Loads a model (what its version_policy selects) or one version; resolves once loaded, with its state. */
  async loadModel(model: string, version = 0): Promise<ModelInfo> {
    return this.control('LoadModel', { model_name: model, model_version: version });
  }

  /** Unloads a model (version 0) or one version after its queued and running requests are answered. */
  async unloadModel(model: string, version = 0): Promise<ModelInfo> {
    return this.control('UnloadModel', { model_name: model, model_version: version });
  }

  /** Pins the default version (it must be READY); 0 removes the pin. */
  async setDefaultVersion(model: string, version: number): Promise<ModelInfo> {
    return this.control('SetDefaultVersion', { model_name: model, model_version: version });
  }

  /** Goes back to the previous default version; resolves with the model's state afterwards. */
  async rollback(model: string): Promise<ModelInfo> {
    return this.control('Rollback', { model_name: model });
  }

  /**
   * Usage per tenant, model and version since the server started (GetUsage): every tenant's with the admin scope
   * (or `tenant`'s), else the caller's own.
   */
  async getUsage(tenant = ''): Promise<TenantUsage[]> {
    const fn = (this.admin.GetUsage as Unary<object, { usage: WireTenantUsage[] }>).bind(this.admin);
    const res = await new Promise<{ usage: WireTenantUsage[] }>((resolve, reject) => fn({ tenant }, {}, (err, r) => (err ? reject(withErrorCode(err)) : resolve(r))));
    return res.usage.map(fromTenantUsage);
  }

  /** Sends `percent` % of the requests naming no version to each version given (a canary); {} ends the split. */
  async setTrafficSplit(model: string, shares: Readonly<Record<number, number>>): Promise<ModelInfo> {
    const list = Object.entries(shares).map(([version, percent]) => ({ version, percent }));
    return this.control('SetTrafficSplit', { model_name: model, shares: list });
  }

  private async control(method: string, req: object): Promise<ModelInfo> {
    const fn = (this.admin[method] as Unary<object, { metadata: WireModelMetadata }>).bind(this.admin);
    const res = await new Promise<{ metadata: WireModelMetadata }>((resolve, reject) =>
      fn(req, {}, (err, r) => (err ? reject(withErrorCode(err)) : resolve(r))),
    );
    return fromModelMetadata(res.metadata);
  }

  close(): void {
    this.stub.close();
  }
}

/** Resolves when the stream can take more writes, or when it is over (so a writer never waits forever). */
function writable(call: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      for (const e of ['drain', 'status', 'close', 'error']) call.off(e, done);
      resolve();
    };
    for (const e of ['drain', 'status', 'close', 'error']) call.on(e, done);
  });
}
