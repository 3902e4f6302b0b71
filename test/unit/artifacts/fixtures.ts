/** Deterministic models and samples for the artifacts tests, built with tools/modelgen's builder. */
import '../modelgen/jest-realm';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { OnnxModelBuilder, attr } from '../../../tools/modelgen/onnx-builder';
import { Prng } from '../../../tools/modelgen/prng';

export { ort };

/** A small transformer-like block: MatMul (constant weight), Gemm (transB, alpha, beta, bias), embedding Gather. */
export function denseModel(): Uint8Array {
  const r = new Prng(11);
  const b = new OnnxModelBuilder({ graphName: 'dense' });
  b.addInput('x', 'float32', ['batch', 64]);
  b.addInput('ids', 'int64', ['batch', 4]);
  b.addInitializer('w1', 'float32', [64, 48], r.float32Array(64 * 48, -0.5, 0.5));
  b.addInitializer('w2', 'float32', [16, 48], r.float32Array(16 * 48, -0.5, 0.5));
  b.addInitializer('c2', 'float32', [16], r.float32Array(16, -0.1, 0.1));
  b.addInitializer('table', 'float32', [100, 16], r.float32Array(100 * 16, -1, 1));
  b.addNode('MatMul', ['x', 'w1'], ['h'], {}, { name: 'dense1' });
  b.addNode('Relu', ['h'], ['h_relu']);
  b.addNode('Gemm', ['h_relu', 'w2', 'c2'], ['logits'], { transB: attr.int(1), alpha: attr.float(0.5), beta: attr.float(2) }, { name: 'dense2' });
  b.addNode('Gather', ['table', 'ids'], ['embedded'], { axis: attr.int(0) }, { name: 'embed' });
  b.addOutput('logits', 'float32', ['batch', 16]);
  b.addOutput('embedded', 'float32', ['batch', 4, 16]);
  return b.toBytes();
}

/** Two convolutions with a BatchNormalization between them, at opset 11 (the static quantizer raises it). */
export function convModel(): Uint8Array {
  const r = new Prng(5);
  const b = new OnnxModelBuilder({ graphName: 'conv', opsetVersion: 11 });
  b.addInput('x', 'float32', ['batch', 3, 16, 16]);
  b.addInitializer('k1', 'float32', [8, 3, 3, 3], r.float32Array(8 * 27, -0.5, 0.5));
  b.addInitializer('b1', 'float32', [8], r.float32Array(8, -0.1, 0.1));
  b.addInitializer('gamma', 'float32', [8], r.float32Array(8, 0.5, 1.5));
  b.addInitializer('beta', 'float32', [8], r.float32Array(8, -0.2, 0.2));
  b.addInitializer('mean', 'float32', [8], r.float32Array(8, -0.1, 0.1));
  b.addInitializer('var', 'float32', [8], r.float32Array(8, 0.5, 2));
  b.addInitializer('k2', 'float32', [4, 8, 3, 3], r.float32Array(4 * 72, -0.3, 0.3));
  b.addNode('Conv', ['x', 'k1', 'b1'], ['c1'], { pads: attr.ints([1, 1, 1, 1]) }, { name: 'conv1' });
  b.addNode('BatchNormalization', ['c1', 'gamma', 'beta', 'mean', 'var'], ['bn'], { epsilon: attr.float(1e-5) }, { name: 'bn1' });
  b.addNode('Relu', ['bn'], ['r1']);
  b.addNode('Conv', ['r1', 'k2'], ['y'], { pads: attr.ints([1, 1, 1, 1]) }, { name: 'conv2' });
  b.addOutput('y', 'float32', ['batch', 4, 16, 16]);
  return b.toBytes();
}

/** Random inputs for `feeds`' shapes, seeded. */
export function floatInput(seed: number, dims: number[], lo = -1, hi = 1): ort.Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  return new ort.Tensor('float32', new Prng(seed).float32Array(n, lo, hi), dims);
}

export function idsInput(seed: number, dims: number[], max: number): ort.Tensor {
  const r = new Prng(seed);
  const n = dims.reduce((a, b) => a * b, 1);
  return new ort.Tensor('int64', BigInt64Array.from({ length: n }, () => BigInt(Math.floor(r.next() * max))), dims);
}

/** Writes each feeds object as a warm-up-format JSON sample into a new folder. */
export function writeSamples(dir: string, feeds: Array<Record<string, ort.Tensor>>): string {
  fs.mkdirSync(dir, { recursive: true });
  feeds.forEach((f, i) => {
    const json: Record<string, unknown> = {};
    for (const [name, t] of Object.entries(f)) {
      const data = Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
      json[name] = { datatype: t.type === 'int64' ? 'INT64' : 'FP32', shape: t.dims, data };
    }
    fs.writeFileSync(path.join(dir, `sample-${String(i).padStart(2, '0')}.json`), JSON.stringify(json));
  });
  return dir;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** SQNR in dB of `cand` against `ref`. */
export function sqnr(ref: ArrayLike<number>, cand: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < ref.length; i++) {
    s += ref[i] * ref[i];
    n += (ref[i] - cand[i]) ** 2;
  }
  return n === 0 ? Infinity : 10 * Math.log10(s / n);
}

/** Operator types of the graph onnxruntime actually runs (saved with optimizedModelFilePath). */
export async function optimizedOps(modelFile: string, outFile: string): Promise<string[]> {
  const s = await ort.InferenceSession.create(modelFile, { optimizedModelFilePath: outFile, graphOptimizationLevel: 'extended', logSeverityLevel: 3 });
  await s.release();
  const { readModelFile } = await import('../../../src/artifacts/onnx-model');
  return readModelFile(outFile).graph.node.map((n) => n.op_type);
}
