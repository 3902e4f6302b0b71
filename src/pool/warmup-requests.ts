/**
 * The requests a worker runs to warm its session before the version takes traffic: generated from the input
 * metadata, or read from sample files beside the model. Pure (besides reading the files), so the worker stays
 * small and these rules are testable without onnxruntime.
 */
import fs from 'node:fs';
import path from 'node:path';
import { dataTypeByName, dataTypeByOrt } from '../codec/dtypes';
import { tensorFromJson } from '../codec/json-tensor';
import { AmaasError } from '../errors';
import type { IoMetadata, TensorPayload } from './messages';

/** Folder of sample requests, beside model.onnx: `<model>/<version>/warmup/*.json`. */
export const WARMUP_DIR = 'warmup';

export interface WarmupRequest {
  /** Names the request in a failure message: 'generated' or the sample's file name. */
  readonly label: string;
  readonly inputs: Record<string, TensorPayload>;
}

/** One request with every input filled with zeros (empty strings for BYTES); dynamic dimensions are 1. */
export function generatedWarmupRequest(inputs: readonly IoMetadata[]): WarmupRequest {
  const feeds: Record<string, TensorPayload> = {};
  for (const m of inputs) {
    const datatype = dataTypeByOrt(m.type);
    if (!datatype) throw new AmaasError('AMAAS_ERR_MODEL_LOAD_FAILED', `input '${m.name}' has type ${m.type}, which amaas cannot serve`);
    const dims = m.shape.map((d) => (d < 0 ? 1 : d));
    const count = dims.reduce((a, b) => a * b, 1);
    const data = datatype.array ? new datatype.array(count) : new Array<string>(count).fill('');
    feeds[m.name] = { type: datatype.ort, dims, data };
  }
  return { label: 'generated', inputs: feeds };
}

/**
 * The sample requests in `<versionDir>/warmup/*.json`, sorted by file name. Each file is the CLI's inputs
 * JSON: `{"x": [[1, 2]]}` (datatype from the model) or `{"x": {"datatype": "FP32", "shape": [1, 2], "data": [1, 2]}}`.
 */
export function sampleWarmupRequests(versionDir: string, inputs: readonly IoMetadata[]): WarmupRequest[] {
  const dir = path.join(versionDir, WARMUP_DIR);
  if (!fs.existsSync(dir)) return [];
  const byName = new Map(inputs.map((m) => [m.name, m]));
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
      } catch (err) {
        throw new AmaasError('AMAAS_ERR_MODEL_LOAD_FAILED', `warm-up sample ${file} is not valid JSON: ${(err as Error).message}`);
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new AmaasError('AMAAS_ERR_MODEL_LOAD_FAILED', `warm-up sample ${file} must map input names to data`);
      }
      const feeds: Record<string, TensorPayload> = {};
      for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
        const spec = isSpec(value) ? value : { data: value };
        const datatype = spec.datatype !== undefined ? dataTypeByName(spec.datatype) : dataTypeByOrt(byName.get(name)?.type ?? '');
        if (!datatype) throw new AmaasError('AMAAS_ERR_MODEL_LOAD_FAILED', `warm-up sample ${file}: input '${name}' has no usable datatype`);
        const t = tensorFromJson(name, datatype, spec.data, spec.shape);
        feeds[name] = { type: datatype.ort, dims: [...t.shape], data: t.data };
      }
      return { label: file, inputs: feeds };
    });
}

interface JsonTensorSpec {
  datatype?: string;
  shape?: number[];
  data: unknown;
}

function isSpec(value: unknown): value is JsonTensorSpec {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && 'data' in value;
}
