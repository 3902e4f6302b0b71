/** Shared pieces of the Open Inference Protocol tests: the model repository and tensor helpers. */
import fs from 'node:fs';
import path from 'node:path';
import type { RepositoryEntry } from '../../../tools/modelgen/repository-writer';
import { makeRepository } from '../../helpers/model-repository';
import type { Message } from './oip-client';

/** The trained PaddleOCR text detector (input x FP32 [-1,3,-1,-1]). */
export const PADDLE_DET = path.join(__dirname, '..', '..', '..', '..', 'node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_PP-OCRv4_det_infer.onnx');

export const OIP_MODELS: readonly RepositoryEntry[] = [
  { model: 'scale', config: { version_policy: 'all' } },
  { model: 'scale_v2', name: 'scale', version: 2 },
  { model: 'mlp' },
  { model: 'multi_io' },
  { model: 'int64_ops' },
  { model: 'string_echo' },
  { model: 'bool_not' },
  { model: 'identity_fp16' },
];

/** A repository of the generated models plus `ppocr_det` (a link to the PaddleOCR model) when asked. */
export async function makeOipRepository(withPaddle = false, entries: readonly RepositoryEntry[] = OIP_MODELS): Promise<string> {
  const repo = await makeRepository(entries);
  if (withPaddle) {
    fs.mkdirSync(path.join(repo, 'ppocr_det', '1'), { recursive: true });
    fs.symlinkSync(PADDLE_DET, path.join(repo, 'ppocr_det', '1', 'model.onnx'));
  }
  return repo;
}

/** Raw bytes of an FP32 tensor, as the protocol sends them (little-endian on every platform we run on). */
export const fp32Bytes = (values: ArrayLike<number>) => Buffer.from(Float32Array.from(values).buffer);

export function fp32FromBytes(bytes: Uint8Array): number[] {
  const copy = Uint8Array.from(bytes);
  return Array.from(new Float32Array(copy.buffer));
}

/** BYTES elements in raw form: 4-byte little-endian length, then the bytes. */
export function bytesElements(values: readonly string[]): Buffer {
  return Buffer.concat(
    values.flatMap((v) => {
      const b = Buffer.from(v, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32LE(b.length);
      return [len, b];
    }),
  );
}

export function parseBytesElements(bytes: Uint8Array): string[] {
  const b = Buffer.from(bytes);
  const out: string[] = [];
  for (let at = 0; at < b.length; ) {
    const n = b.readUInt32LE(at);
    out.push(b.subarray(at + 4, at + 4 + n).toString('utf8'));
    at += 4 + n;
  }
  return out;
}

export function output(response: Message, name: string): Message {
  const o = response.outputs.find((t: Message) => t.name === name);
  if (!o) throw new Error(`no output ${name} in ${JSON.stringify(response.outputs.map((t: Message) => t.name))}`);
  return o;
}

/** A deterministic pseudo-image in [0, 1). */
export function image(length: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => ((i * 7919) % 1000) / 1000);
}
