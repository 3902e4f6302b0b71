/**
 * The response cache's key: a SHA-256 over everything that decides an answer. Model, version, each input's
 * name, datatype, shape and bytes, and the outputs asked for. Every field is length- or count-prefixed, so no
 * two different requests can produce the same byte stream (["ab","c"] and ["a","bc"] hash differently).
 *
 * Inputs are hashed sorted by name: their order in a request does not change the answer. Outputs are hashed as
 * validateRequest resolved them: an empty list becomes every output in model order, so it shares an entry with
 * an explicit list naming every output in model order (the same answer). A different order is a different
 * answer (a response lists outputs in the order asked), so it gets a different key.
 */
import { createHash, Hash } from 'node:crypto';
import { BorrowedBytes, InputTensor, inputBytes } from '../codec/tensor-codec';

/** Changes whenever the byte layout below does. */
const DOMAIN = 'amaas.response-cache.v1';

const scratch = Buffer.alloc(8);

function u64(h: Hash, n: number): void {
  scratch.writeUInt32LE(n >>> 0, 0);
  scratch.writeUInt32LE(Math.floor(n / 2 ** 32), 4);
  h.update(scratch);
}

function text(h: Hash, s: string): void {
  const bytes = Buffer.from(s, 'utf8');
  u64(h, bytes.byteLength);
  h.update(bytes);
}

function inputData(h: Hash, data: InputTensor['data']): void {
  if (Array.isArray(data)) {
    // BYTES: element count, then each element's length and UTF-8 bytes.
    u64(h, data.length);
    for (const s of data) text(h, s);
    return;
  }
  const bytes = inputBytes(data as Exclude<InputTensor['data'], string[]> | BorrowedBytes);
  u64(h, bytes.byteLength);
  h.update(bytes);
}

/** The key of one request to `model` version `version` (resolved: never 0). */
export function requestKey(model: string, version: number, inputs: readonly InputTensor[], outputNames: readonly string[]): string {
  const h = createHash('sha256');
  text(h, DOMAIN);
  text(h, model);
  u64(h, version);
  const sorted = [...inputs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  u64(h, sorted.length);
  for (const t of sorted) {
    text(h, t.name);
    text(h, t.datatype.name);
    u64(h, t.shape.length);
    for (const d of t.shape) u64(h, d);
    inputData(h, t.data);
  }
  u64(h, outputNames.length);
  for (const name of outputNames) text(h, name);
  return h.digest('base64url');
}
