/**
 * What the cache stores for one answer: the output tensors, in buffers of their own, never written again.
 * A request's outputs are often views into its batch's output buffer (batch-assembly.ts splits without
 * copying); those are copied out once, so an entry holds, and is charged for, only its own bytes and never
 * keeps a whole batch alive. Nothing downstream writes to or transfers an output: the encoders only read them.
 */
import type { Tensor } from '../codec/tensor-codec';
import type { ServingVersion } from '../repository/model-version';

/** What an entry costs beyond its data (the key, the tensor objects, the LRU's bookkeeping), as a flat estimate. */
const ENTRY_OVERHEAD_BYTES = 256;
const TENSOR_OVERHEAD_BYTES = 96;

export interface CachedResponse {
  /** The loaded version instance that computed it: a reload of the same version number is another instance. */
  readonly owner: ServingVersion;
  readonly outputs: readonly Tensor[];
  /** What the entry counts against max_bytes. */
  readonly bytes: number;
}

function ownData(data: Tensor['data']): Tensor['data'] {
  if (Array.isArray(data)) return Object.freeze([...data]) as unknown as string[];
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) return data;
  return data.slice();
}

function dataBytes(data: Tensor['data']): number {
  if (!Array.isArray(data)) return data.byteLength;
  let n = 0;
  for (const s of data) n += 4 + Buffer.byteLength(s, 'utf8');
  return n;
}

/** The entry for `outputs`; they stay valid for the caller, whose answer is byte-equal to what is stored. */
export function cachedResponse(owner: ServingVersion, key: string, outputs: readonly Tensor[]): CachedResponse {
  let bytes = ENTRY_OVERHEAD_BYTES + key.length;
  const stored = outputs.map((t) => {
    const data = ownData(t.data);
    bytes += TENSOR_OVERHEAD_BYTES + t.name.length + dataBytes(data);
    return Object.freeze({ name: t.name, datatype: t.datatype, shape: Object.freeze([...t.shape]), data });
  });
  return { owner, outputs: Object.freeze(stored), bytes };
}
