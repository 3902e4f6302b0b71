/**
 * Sample inputs for calibration and comparison: a folder of JSON files in the warm-up sample format
 * (src/pool/warmup-requests.ts): `{"x": [[1, 2]]}` (datatype from the model) or
 * `{"x": {"datatype": "FP32", "shape": [1, 2], "data": [1, 2]}}`, one request per file, read in name order.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { DataTypeInfo, OrtTensorType, dataTypeByName, dataTypeByOrt } from '../codec/dtypes';
import { fromFloat16Bits, toFloat16Bits } from '../codec/float16';
import { tensorFromJson } from '../codec/json-tensor';
import { ModelProto } from './onnx-model';

export interface Sample {
  readonly label: string;
  readonly feeds: Record<string, ort.Tensor>;
}

interface JsonSpec {
  datatype?: string;
  shape?: number[];
  data: unknown;
}

function isSpec(v: unknown): v is JsonSpec {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && 'data' in v;
}

/** The tensor input types of a session, by name. */
export function inputTypes(session: ort.InferenceSession): Map<string, OrtTensorType> {
  const types = new Map<string, OrtTensorType>();
  for (const m of session.inputMetadata) if (m.isTensor) types.set(m.name, m.type as OrtTensorType);
  return types;
}

const ORT_TYPE_BY_ONNX: Readonly<Record<number, OrtTensorType>> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
};

/** The tensor input types a model file declares, by name. */
export function modelInputTypes(model: ModelProto): Map<string, OrtTensorType> {
  const types = new Map<string, OrtTensorType>();
  for (const v of model.graph.input) {
    const t = ORT_TYPE_BY_ONNX[v.type?.tensor_type?.elem_type ?? 0];
    if (t) types.set(v.name, t);
  }
  return types;
}

/** Reads every *.json file of `dir`; `types` gives the datatype of inputs whose JSON names none. */
export function readSamples(dir: string, types: ReadonlyMap<string, OrtTensorType>): Sample[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`samples folder ${dir} does not exist`);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) throw new Error(`samples folder ${dir} holds no .json files`);
  return files.map((file) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    } catch (err) {
      throw new Error(`sample ${file} is not valid JSON: ${(err as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`sample ${file} must map input names to data`);
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
      const spec = isSpec(value) ? value : { data: value };
      const declared = types.get(name);
      const datatype: DataTypeInfo | undefined = spec.datatype !== undefined ? dataTypeByName(spec.datatype) : declared ? dataTypeByOrt(declared) : undefined;
      if (!datatype) throw new Error(`sample ${file}: input '${name}' has no usable datatype`);
      const t = tensorFromJson(name, datatype, spec.data, spec.shape);
      feeds[name] = new ort.Tensor(datatype.ort as 'float32', t.data as Float32Array, [...t.shape]);
    }
    return { label: file, feeds };
  });
}

/** A float tensor as float64 numbers (float16 decoded). */
export function tensorNumbers(t: ort.Tensor): Float64Array {
  if (t.type === 'float16') return Float64Array.from(t.data as Uint16Array, (b) => fromFloat16Bits(b));
  if (t.type === 'int64' || t.type === 'uint64') return Float64Array.from(t.data as BigInt64Array, (v) => Number(v));
  return Float64Array.from(t.data as ArrayLike<number>);
}

/** `feeds` with float inputs converted to the float width `session` declares (an fp16 model takes float16). */
export function feedsFor(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Record<string, ort.Tensor> {
  const types = inputTypes(session);
  const out: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    const want = types.get(name);
    if (want === 'float16' && t.type === 'float32') {
      out[name] = new ort.Tensor('float16', Uint16Array.from(t.data as Float32Array, (v) => toFloat16Bits(v)), t.dims);
    } else if (want === 'float32' && t.type === 'float16') {
      out[name] = new ort.Tensor('float32', Float32Array.from(tensorNumbers(t)), t.dims);
    } else {
      out[name] = t;
    }
  }
  return out;
}

/** The first item of every batched input: batch 1. */
export function firstItem(feeds: Record<string, ort.Tensor>): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    if (t.dims.length === 0 || t.dims[0] <= 1) {
      out[name] = t;
      continue;
    }
    const per = (t.data as { length: number }).length / t.dims[0];
    const data = (t.data as Float32Array).slice(0, per);
    out[name] = new ort.Tensor(t.type as 'float32', data, [1, ...t.dims.slice(1)]);
  }
  return out;
}

/** `feeds` repeated `times` along the first (batch) axis. */
export function repeatBatch(feeds: Record<string, ort.Tensor>, times: number): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    const src = t.data as unknown as { length: number; constructor: new (n: number) => { set(a: unknown, o: number): void } };
    const data = new src.constructor(src.length * times);
    for (let i = 0; i < times; i++) data.set(src, i * src.length);
    const dims = t.dims.length === 0 ? [times] : [t.dims[0] * times, ...t.dims.slice(1)];
    out[name] = new ort.Tensor(t.type as 'float32', data as unknown as Float32Array, dims);
  }
  return out;
}
