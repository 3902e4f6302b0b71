/** A registry entry -> the ModelMetadata message (shared by ListModels and GetModelMetadata). */
import { dataTypeToWire } from '../../codec/dtypes';
import type { ModelEntry } from '../../repository/model-entry';
import type { TensorSpec } from '../../repository/signature';
import type { WireModelMetadata, WireTensorMetadata } from './messages';

const tensorMetadata = (s: TensorSpec): WireTensorMetadata => ({
  name: s.name,
  datatype: dataTypeToWire(s.datatype),
  shape: [...s.shape],
});

/** Describes `described` (a version number of the entry, or 0 for none). */
export function toModelMetadata(entry: ModelEntry, described: number): WireModelMetadata {
  const signature = entry.versions.get(described)?.signature ?? null;
  return {
    name: entry.name,
    default_version: entry.defaultVersion,
    versions: entry.sortedVersions.map((v) => ({
      version: v.version,
      state: `MODEL_VERSION_STATE_${v.state}`,
      reason: v.reason,
      execution_provider: v.executionProvider,
      notes: [...v.notes],
    })),
    described_version: signature ? described : 0,
    inputs: signature ? signature.inputs.map(tensorMetadata) : [],
    outputs: signature ? signature.outputs.map(tensorMetadata) : [],
    platform: 'onnxruntime',
    traffic: entry.traffic.map((s) => ({ version: s.version, percent: s.percent })),
  };
}
