/** The models the bench knows: where each comes from, its input, and the server config it runs with. */
import fs from 'node:fs';
import path from 'node:path';
import { writeModelRepository } from '../tools/modelgen/repository-writer';
import { PACKAGE_ROOT } from '../src/paths';

export interface BenchModel {
  readonly name: string;
  readonly input: { readonly name: string; readonly dims: readonly number[] };
  /** Per-model config used unless the command line overrides it. */
  readonly config: Record<string, unknown>;
  /** Writes `<repo>/<name>/1/model.onnx`. */
  write(repo: string): Promise<void>;
}

const generated = (name: string, input: BenchModel['input'], config: Record<string, unknown> = {}): BenchModel => ({
  name,
  input,
  config,
  write: async (repo) => {
    await writeModelRepository(repo, [{ model: name }]);
  },
});

export const BENCH_MODELS: Record<string, BenchModel> = {
  scale: generated('scale', { name: 'x', dims: [1, 4] }),
  mlp_small: generated('mlp_small', { name: 'x', dims: [1, 64] }),
  mlp_large: generated('mlp_large', { name: 'x', dims: [1, 512] }),
  // Unbatchable and compute-heavy: the overload bench's model (its 10 x capacity can be offered from this machine).
  heavy_fixed: generated('heavy_fixed', { name: 'x', dims: [1, 1024] }),
  ocr_det: {
    name: 'ocr_det',
    input: { name: 'x', dims: [1, 3, 320, 320] },
    // Convolutions gain nothing from batching here; two single-thread workers use both cores best.
    config: { instances: 2, intra_op_threads: 1, max_batch_size: 0 },
    write: async (repo) => {
      const dir = path.join(repo, 'ocr_det', '1');
      fs.mkdirSync(dir, { recursive: true });
      fs.copyFileSync(path.join(PACKAGE_ROOT, 'node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_PP-OCRv4_det_infer.onnx'), path.join(dir, 'model.onnx'));
    },
  },
};

/** Deterministic input values for a shape. */
export function inputData(dims: readonly number[]): Float32Array {
  const n = dims.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
}
