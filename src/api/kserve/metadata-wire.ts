/**
 * Registry -> the protocol's metadata messages (ServerMetadata, ModelMetadata, ModelReady, ModelConfig,
 * RepositoryIndex). The shapes are plain JSON-friendly objects, so the HTTP binding sends the same ones.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AmaasError } from '../../errors';
import { PACKAGE_ROOT } from '../../paths';
import type { ModelRegistry } from '../../repository/model-registry';
import { versionNotFound } from '../../repository/serving-version';
import type { TensorSpec } from '../../repository/signature';
import type { WireModelMetadataResponse, WireServerMetadataResponse, WireTensorMetadata } from './messages';

/** Triton's platform name for ONNX models; clients such as perf_analyzer key behaviour on it. */
export const ONNX_PLATFORM = 'onnxruntime_onnx';

/** Protocol extensions amaas implements (Triton's names). */
export const EXTENSIONS = ['model_repository', 'model_configuration', 'statistics'];

const SERVER_VERSION: string = (() => {
  try {
    return JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')).version ?? '';
  } catch {
    return '';
  }
})();

export function serverMetadata(): WireServerMetadataResponse {
  return { name: 'amaas', version: SERVER_VERSION, extensions: [...EXTENSIONS] };
}

const tensorMetadata = (s: TensorSpec): WireTensorMetadata => ({ name: s.name, datatype: s.datatype.name, shape: [...s.shape] });

/** A ready version's metadata (version 0: the default); NOT_FOUND or UNAVAILABLE otherwise. */
export function modelMetadata(registry: ModelRegistry, name: string, version: number): WireModelMetadataResponse {
  if (!name) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', 'the model name is required');
  const target = registry.resolve(name, version);
  const entry = registry.entry(name);
  return {
    name: target.model,
    versions: entry.sortedVersions.filter((v) => v.state === 'READY').map((v) => String(v.version)),
    platform: ONNX_PLATFORM,
    inputs: target.signature.inputs.map(tensorMetadata),
    outputs: target.signature.outputs.map(tensorMetadata),
  };
}

/** Whether the model (at a version, or its default) is READY; NOT_FOUND for an unknown model or version. */
export function modelReady(registry: ModelRegistry, name: string, version: number): boolean {
  if (!name) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', 'the model name is required');
  const entry = registry.entry(name);
  if (version === 0) return entry.defaultVersion > 0;
  const v = entry.versions.get(version);
  if (!v) throw versionNotFound(name, version, entry.sortedVersions.map((x) => x.version));
  return v.state === 'READY';
}

/** Triton's DataType enum names (model_config.proto) by the protocol's datatype strings. */
const CONFIG_DATA_TYPES: Readonly<Record<string, string>> = {
  BOOL: 'TYPE_BOOL',
  UINT8: 'TYPE_UINT8',
  UINT16: 'TYPE_UINT16',
  UINT32: 'TYPE_UINT32',
  UINT64: 'TYPE_UINT64',
  INT8: 'TYPE_INT8',
  INT16: 'TYPE_INT16',
  INT32: 'TYPE_INT32',
  INT64: 'TYPE_INT64',
  FP16: 'TYPE_FP16',
  FP32: 'TYPE_FP32',
  FP64: 'TYPE_FP64',
  BYTES: 'TYPE_STRING',
};

/**
 * The minimal Triton ModelConfig. When the model has a max_batch_size and every input and output starts with a
 * variable dimension, that dimension is the batch and is left out of dims, as Triton does.
 */
export function modelConfig(registry: ModelRegistry, name: string, version: number) {
  if (!name) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', 'the model name is required');
  const target = registry.resolve(name, version);
  const { inputs, outputs } = target.signature;
  const maxBatchSize = target.maxBatchSize ?? 0;
  const batched = maxBatchSize > 0 && [...inputs, ...outputs].every((s) => s.shape.length > 0 && s.shape[0] === -1);
  const dims = (s: TensorSpec) => (batched ? s.shape.slice(1) : [...s.shape]);
  return {
    name: target.model,
    platform: ONNX_PLATFORM,
    backend: 'onnxruntime',
    max_batch_size: batched ? maxBatchSize : 0,
    input: inputs.map((s) => ({ name: s.name, data_type: CONFIG_DATA_TYPES[s.datatype.name], dims: dims(s) })),
    output: outputs.map((s) => ({ name: s.name, data_type: CONFIG_DATA_TYPES[s.datatype.name], dims: dims(s) })),
    response_cache: { enable: target.config.responseCache !== null },
  };
}

/** One entry per model version; `readyOnly` keeps only the READY ones. */
export function repositoryIndex(registry: ModelRegistry, readyOnly: boolean) {
  return registry.list().flatMap((entry) =>
    entry.sortedVersions
      .filter((v) => !readyOnly || v.state === 'READY')
      .map((v) => ({ name: entry.name, version: String(v.version), state: v.state, reason: v.reason })),
  );
}
