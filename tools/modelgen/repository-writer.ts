import { promises as fsp } from 'fs';
import * as path from 'path';
import { buildModel } from './catalog';

export interface RepositoryEntry {
  /** Catalog model name. */
  model: string;
  /** Directory name in the repository; defaults to `model`. */
  name?: string;
  /** Version directory; defaults to 1. */
  version?: number;
  /** Written as `<name>/config.json`; falls back to the catalog's config, if any. */
  config?: object;
}

/** The bundled example repository (examples/models). */
export const EXAMPLE_MODELS: readonly RepositoryEntry[] = Object.freeze(
  ['scale', 'mlp', 'multi_io', 'int64_ops', 'bool_not', 'string_echo'].map((model) => ({ model })),
);

/** Everything tests may need; the bench-only models mlp_large (25 MB) and heavy_fixed (4 MB) are left out. */
export const TEST_MODELS: readonly RepositoryEntry[] = Object.freeze(
  [
    'scale',
    'scale_v2',
    'mlp',
    'multi_io',
    'int64_ops',
    'bool_not',
    'string_echo',
    'scalar_add',
    'fixed_shape',
    'runtime_failure',
    'reflect_pad',
    'reflect_pad_wide',
    'slow_mlp',
    'mlp_small',
    'identity_fp32',
    'identity_fp64',
    'identity_fp16',
    'identity_int8',
    'identity_int16',
    'identity_int32',
    'identity_int64',
    'identity_uint8',
    'identity_uint16',
    'identity_uint32',
    'identity_uint64',
    'identity_bool',
    'identity_string',
  ].map((model) => ({ model })),
);

export interface WrittenModel {
  name: string;
  version: number;
  modelPath: string;
  configPath?: string;
}

function checkSegment(kind: string, value: string): void {
  // Names become directory names: keep them to one plain path segment.
  if (!value || value === '.' || value === '..' || /[\\/]/.test(value)) {
    throw new Error(`invalid ${kind} "${value}"`);
  }
}

/**
 * Writes `<dir>/<name>/<version>/model.onnx` (and `<dir>/<name>/config.json`
 * when a config is given) for each entry. Existing files are overwritten;
 * nothing else in `dir` is touched.
 */
export async function writeModelRepository(
  dir: string,
  entries: ReadonlyArray<RepositoryEntry>,
): Promise<WrittenModel[]> {
  const written: WrittenModel[] = [];
  for (const entry of entries) {
    const name = entry.name ?? entry.model;
    const version = entry.version ?? 1;
    checkSegment('model name', name);
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new Error(`invalid version ${version} for model "${name}"`);
    }
    const built = buildModel(entry.model);
    const versionDir = path.join(dir, name, String(version));
    await fsp.mkdir(versionDir, { recursive: true });
    const modelPath = path.join(versionDir, 'model.onnx');
    await fsp.writeFile(modelPath, built.bytes);
    const result: WrittenModel = { name, version, modelPath };
    const config = entry.config ?? built.config;
    if (config !== undefined) {
      const configPath = path.join(dir, name, 'config.json');
      await fsp.writeFile(configPath, JSON.stringify(config, null, 2) + '\n');
      result.configPath = configPath;
    }
    written.push(result);
  }
  return written;
}
