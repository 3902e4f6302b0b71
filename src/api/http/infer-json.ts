/**
 * The REST binding's inference JSON <-> the service's InferenceRequest/InferenceResult:
 * `{"id", "inputs": [{"name", "datatype", "shape", "data"}], "outputs": [{"name"}]}` in, the same tensor
 * objects out with data flat in row-major order. Input data may be flat or nested (json-tensor.ts). INT64 and
 * UINT64 data are exact JSON integers both ways (bigints, written by stringifyJson in json-text.ts); decimal
 * strings are accepted too.
 */
import { dataTypeByName } from '../../codec/dtypes';
import { tensorFromJson, tensorJsonValues } from '../../codec/json-tensor';
import { parseShape } from '../../codec/tensor-codec';
import { AmaasError } from '../../errors';
import { excerpt, quoted } from '../../errors-format';
import type { InferenceRequest, InferenceResult } from '../../service/inference-service';

const invalid = (message: string) => new AmaasError('AMAAS_ERR_INVALID_REQUEST', message);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function decodeInferJson(modelName: string, modelVersion: number, body: unknown): InferenceRequest {
  if (!isObject(body)) throw invalid('the request body must be a JSON object with an "inputs" array');
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
  return { modelName, modelVersion, id: (body.id as string | undefined) ?? '', protocol: 'rest', inputs, outputNames };
}

export function encodeInferJson(result: InferenceResult) {
  return {
    model_name: result.modelName,
    model_version: String(result.modelVersion),
    ...(result.id ? { id: result.id } : {}),
    outputs: result.outputs.map((t) => ({ name: t.name, datatype: t.datatype.name, shape: [...t.shape], data: tensorJsonValues(t) })),
  };
}
