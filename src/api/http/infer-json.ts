/**
 * The REST binding's inference JSON <-> the service's InferenceRequest/InferenceResult:
 * `{"id", "parameters", "inputs": [{"name", "datatype", "shape", "data"}], "outputs": [{"name"}]}` in, the same
 * tensor objects out with data flat in row-major order. Input data may be flat or nested (json-tensor.ts). INT64
 * and UINT64 data are exact JSON integers both ways (bigints, written by stringifyJson in json-text.ts); decimal
 * strings are accepted too. The request's `parameters` are read as ModelInfer's are (infer-parameters.ts):
 * `priority` and `timeout` act, the others are accepted and ignored.
 */
import { dataTypeByName } from '../../codec/dtypes';
import { tensorFromJson, tensorJsonValues } from '../../codec/json-tensor';
import { parseShape } from '../../codec/tensor-codec';
import { AmaasError } from '../../errors';
import { excerpt, quoted } from '../../errors-format';
import type { InferenceRequest, InferenceResult } from '../../service/inference-service';
import { type WireInferParameter, type WireInferParameters, inferPriority, inferTimeoutMs } from '../kserve/infer-parameters';

const invalid = (message: string) => new AmaasError('AMAAS_ERR_INVALID_REQUEST', message);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The OIP's `$parameters` object as InferParameters: a JSON integer is an int64 (a bigint when the body held one
 * beyond 2^53, json-text.ts), another number a double, a string or a boolean itself. Other values are refused.
 */
function jsonParameters(value: unknown): WireInferParameters {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw invalid('"parameters" must be an object');
  const out: Record<string, WireInferParameter> = {};
  for (const [name, v] of Object.entries(value)) {
    if (typeof v === 'bigint') out[name] = { parameter_choice: 'int64_param', int64_param: v.toString() };
    else if (typeof v === 'number') out[name] = Number.isInteger(v) ? { parameter_choice: 'int64_param', int64_param: v } : { parameter_choice: 'double_param', double_param: v };
    else if (typeof v === 'string') out[name] = { parameter_choice: 'string_param', string_param: v };
    else if (typeof v === 'boolean') out[name] = { parameter_choice: 'bool_param', bool_param: v };
    else throw invalid(`parameter ${quoted(name)} must be a number, a string or a boolean`);
  }
  return out;
}

/** What the REST binding needs of a request: the service's request, and its own `timeout` (ms) if it has one. */
export interface DecodedInferJson {
  readonly request: InferenceRequest;
  readonly timeoutMs: number | undefined;
}

export function decodeInferJson(modelName: string, modelVersion: number, body: unknown): DecodedInferJson {
  if (!isObject(body)) throw invalid('the request body must be a JSON object with an "inputs" array');
  const parameters = jsonParameters(body.parameters);
  if (!Array.isArray(body.inputs)) throw invalid('"inputs" must be an array of tensors');
  if (body.id !== undefined && typeof body.id !== 'string') throw invalid('"id" must be a string');
  if (body.outputs !== undefined && !Array.isArray(body.outputs)) throw invalid('"outputs" must be an array');
  const inputs = body.inputs.map((t: unknown, i: number) => {
    if (!isObject(t) || typeof t.name !== 'string' || !t.name) throw invalid(`input ${i} needs a "name"`);
    const datatype = typeof t.datatype === 'string' ? dataTypeByName(t.datatype) : undefined;
    if (!datatype) {
      throw invalid(`input ${quoted(t.name)}: datatype ${excerpt(JSON.stringify(t.datatype) ?? String(t.datatype))} is not supported (BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64, BYTES)`);
    }
    if (!Array.isArray(t.shape)) throw invalid(`input ${quoted(t.name)} needs a "shape" array`);
    if (t.data === undefined) throw invalid(`input ${quoted(t.name)} needs "data"`);
    return tensorFromJson(t.name, datatype, t.data, parseShape(t.name, t.shape));
  });
  const outputNames = ((body.outputs ?? []) as unknown[]).map((o, i) => {
    if (!isObject(o) || typeof o.name !== 'string') throw invalid(`output ${i} needs a "name"`);
    return o.name;
  });
  const priority = inferPriority(parameters);
  return {
    request: { modelName, modelVersion, id: (body.id as string | undefined) ?? '', protocol: 'rest', inputs, outputNames, ...(priority ? { priority } : {}) },
    timeoutMs: inferTimeoutMs(parameters),
  };
}

export function encodeInferJson(result: InferenceResult) {
  return {
    model_name: result.modelName,
    model_version: String(result.modelVersion),
    ...(result.id ? { id: result.id } : {}),
    outputs: result.outputs.map((t) => ({ name: t.name, datatype: t.datatype.name, shape: [...t.shape], data: tensorJsonValues(t) })),
  };
}
