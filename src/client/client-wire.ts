/**
 * The client's own tensor and result types, and their conversion to and from amaas.v1's wire messages: typed
 * arrays in (the datatype inferred from the array's kind), typed arrays out, raw contents both ways.
 */
import type { WireModelMetadata, WirePredictRequest, WirePredictResponse, WireTensor } from '../api/amaas-v1/messages';
import { DataTypeName, TensorData, dataTypeByName, dataTypeFromWire } from '../codec/dtypes';
import { Tensor, decodeRaw, decodeTyped, encodeRaw, parseShape } from '../codec/tensor-codec';

export interface ClientTensor {
  readonly data: TensorData;
  readonly dims: readonly number[];
  /** Needed only where the array type is ambiguous: BOOL and UINT8 share Uint8Array, FP16 and UINT16 Uint16Array. */
  readonly datatype?: DataTypeName;
}

export interface OutputTensor {
  readonly datatype: DataTypeName;
  readonly dims: number[];
  readonly data: TensorData;
}

export interface PredictOptions {
  /** Model version; default: the model's default version. */
  readonly version?: number;
  /** Outputs to return; default: all. */
  readonly outputs?: readonly string[];
  /** Echoed back in the result. */
  readonly id?: string;
  /** Milliseconds until the call's deadline. */
  readonly timeoutMs?: number;
  /** Where the request queues among its tenant's (docs/scheduling.md); never above the tenant's own. Default: the tenant's. */
  readonly priority?: 'high' | 'normal' | 'low';
}

export interface PredictResult {
  readonly modelName: string;
  readonly modelVersion: number;
  readonly id: string;
  readonly outputs: Record<string, OutputTensor>;
}

export interface ModelInfo {
  readonly name: string;
  readonly defaultVersion: number;
  readonly versions: ReadonlyArray<{ version: number; state: string; reason: string; executionProvider: string; notes: string[] }>;
  readonly describedVersion: number;
  readonly inputs: ReadonlyArray<{ name: string; datatype: string; shape: number[] }>;
  readonly outputs: ReadonlyArray<{ name: string; datatype: string; shape: number[] }>;
  readonly platform: string;
  /** The canary split of requests naming no version (percent by version); absent or empty: none. */
  readonly traffic?: ReadonlyArray<{ version: number; percent: number }>;
}

const ARRAY_DATATYPES: ReadonlyArray<[string, DataTypeName]> = [
  ['Float32Array', 'FP32'],
  ['Float64Array', 'FP64'],
  ['Int8Array', 'INT8'],
  ['Int16Array', 'INT16'],
  ['Int32Array', 'INT32'],
  ['BigInt64Array', 'INT64'],
  ['Uint8Array', 'UINT8'],
  ['Uint16Array', 'UINT16'],
  ['Uint32Array', 'UINT32'],
  ['BigUint64Array', 'UINT64'],
];

function datatypeOf(name: string, t: ClientTensor): DataTypeName {
  if (t.datatype) return t.datatype;
  if (Array.isArray(t.data)) return 'BYTES';
  const kind = Object.prototype.toString.call(t.data).slice(8, -1);
  const found = ARRAY_DATATYPES.find(([k]) => k === kind);
  if (!found) throw new TypeError(`input '${name}': cannot infer a datatype from ${kind}; set datatype`);
  return found[1];
}

export function encodeClientTensor(name: string, t: ClientTensor): WireTensor {
  const datatype = dataTypeByName(datatypeOf(name, t));
  if (!datatype) throw new TypeError(`input '${name}': unknown datatype ${t.datatype}`);
  const tensor: Tensor = { name, datatype, shape: [...t.dims], data: t.data };
  return { name, datatype: `DATA_TYPE_${datatype.name}`, shape: [...t.dims], raw_contents: encodeRaw(tensor) };
}

export function decodeWireOutput(t: WireTensor): OutputTensor {
  const datatype = dataTypeFromWire(String(t.datatype));
  if (!datatype) throw new TypeError(`output '${t.name}' has unknown datatype ${t.datatype}`);
  const dims = parseShape(t.name, t.shape);
  const data =
    t.contents === 'typed_contents'
      ? decodeTyped(t.name, datatype, dims, t.typed_contents ?? {})
      : decodeRaw(t.name, datatype, dims, t.raw_contents ?? new Uint8Array(0));
  return { datatype: datatype.name, dims, data };
}

export function toPredictRequest(model: string, inputs: Record<string, ClientTensor>, o: PredictOptions): WirePredictRequest {
  return {
    model_name: model,
    model_version: o.version ?? 0,
    id: o.id ?? '',
    inputs: Object.entries(inputs).map(([name, t]) => encodeClientTensor(name, t)),
    output_names: [...(o.outputs ?? [])],
    output_encoding: 'TENSOR_ENCODING_RAW',
    ...(o.priority ? { priority: `PRIORITY_${o.priority.toUpperCase()}` } : {}),
  };
}

export function fromPredictResponse(r: WirePredictResponse): PredictResult {
  const outputs: Record<string, OutputTensor> = {};
  for (const t of r.outputs) outputs[t.name] = decodeWireOutput(t);
  return { modelName: r.model_name, modelVersion: Number(r.model_version), id: r.id, outputs };
}

export function fromModelMetadata(m: WireModelMetadata): ModelInfo {
  const strip = (s: string, prefix: string) => (s.startsWith(prefix) ? s.slice(prefix.length) : s);
  const tensors = (list: WireModelMetadata['inputs']) =>
    list.map((t) => ({ name: t.name, datatype: strip(t.datatype, 'DATA_TYPE_'), shape: t.shape.map(Number) }));
  return {
    name: m.name,
    defaultVersion: Number(m.default_version),
    versions: m.versions.map((v) => ({
      version: Number(v.version),
      state: strip(v.state, 'MODEL_VERSION_STATE_'),
      reason: v.reason,
      executionProvider: v.execution_provider,
      notes: [...v.notes],
    })),
    describedVersion: Number(m.described_version),
    inputs: tensors(m.inputs),
    outputs: tensors(m.outputs),
    platform: m.platform,
    traffic: (m.traffic ?? []).map((s) => ({ version: Number(s.version), percent: s.percent })),
  };
}

/** One tenant's use of one model version (GetUsage); counts since the server started. */
export interface TenantUsage {
  readonly tenant: string;
  readonly model: string;
  readonly version: number;
  /** Requests answered, whatever the answer. */
  readonly requests: number;
  readonly succeeded: number;
  /** Rows of the requests answered OK. */
  readonly rows: number;
  /** Refusals for load by reason: rate_limit, concurrency, queue_full, overloaded. */
  readonly refused: Readonly<Record<string, number>>;
  readonly computeMs: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/** uint64 and int64 arrive as strings (longs: String). */
export interface WireTenantUsage {
  tenant: string;
  model_name: string;
  model_version: string;
  requests: string;
  succeeded: string;
  rows: string;
  refused: Record<string, string>;
  compute_ms: number;
  bytes_in: string;
  bytes_out: string;
}

export function fromTenantUsage(u: WireTenantUsage): TenantUsage {
  return {
    tenant: u.tenant,
    model: u.model_name,
    version: Number(u.model_version),
    requests: Number(u.requests),
    succeeded: Number(u.succeeded),
    rows: Number(u.rows),
    refused: Object.fromEntries(Object.entries(u.refused).map(([k, v]) => [k, Number(v)])),
    computeMs: u.compute_ms,
    bytesIn: Number(u.bytes_in),
    bytesOut: Number(u.bytes_out),
  };
}
