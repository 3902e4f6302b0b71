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

/** The size a generated request gives a dynamic dimension other than the first, on its first try. */
export const GENERATED_DIM = 16;

/** Longest part of one failure a generated warm-up note quotes. */
const NOTE_REASON_CHARS = 240;

/**
 * The generated requests to try, in order, until one runs: every input filled with zeros (empty strings for
 * BYTES). The first try gives a dynamic first (batch) dimension 1 and every other dynamic dimension
 * GENERATED_DIM, which models that need more than one element along an axis (a waveform, a sequence) accept;
 * the second gives every dynamic dimension 1, for models whose inputs must agree on one size. The second is
 * left out when it would be the same request.
 */
export function generatedWarmupRequests(inputs: readonly IoMetadata[]): WarmupRequest[] {
  const first = generatedRequest(`generated (dynamic dimensions ${GENERATED_DIM}, batch 1)`, inputs, GENERATED_DIM);
  const hasInnerDynamic = inputs.some((m) => m.shape.some((d, i) => d < 0 && i > 0));
  return hasInnerDynamic ? [first, generatedRequest('generated (dynamic dimensions 1)', inputs, 1)] : [first];
}

function generatedRequest(label: string, inputs: readonly IoMetadata[], inner: number): WarmupRequest {
  const feeds: Record<string, TensorPayload> = {};
  for (const m of inputs) {
    const datatype = dataTypeByOrt(m.type);
    if (!datatype) throw new AmaasError('AMAAS_ERR_MODEL_LOAD_FAILED', `input '${m.name}' has type ${m.type}, which amaas cannot serve`);
    const dims = m.shape.map((d, i) => (d >= 0 ? d : i === 0 ? 1 : inner));
    const count = dims.reduce((a, b) => a * b, 1);
    const data = datatype.array ? new datatype.array(count) : new Array<string>(count).fill('');
    feeds[m.name] = { type: datatype.ort, dims, data };
  }
  return { label, inputs: feeds };
}

/**
 * The note a version carries when no generated request ran: the version serves anyway (nothing the user wrote
 * asked for that warm-up), but its first requests pay onnxruntime's first-run cost. Each failure is quoted up
 * to NOTE_REASON_CHARS characters.
 */
export function generatedWarmupNote(failures: ReadonlyArray<{ readonly label: string; readonly message: string }>): string {
  const quote = (m: string) => (m.length > NOTE_REASON_CHARS ? `${m.slice(0, NOTE_REASON_CHARS - 1)}…` : m);
  return (
    'generated warm-up failed; the version serves without it (add samples under warmup/ to warm it): ' +
    failures.map((f) => `${f.label}: ${quote(f.message)}`).join('; ')
  );
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
