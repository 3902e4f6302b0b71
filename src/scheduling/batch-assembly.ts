/**
 * The mechanics of a merged batch: which requests may share one session run (mergeKey), how many rows each
 * brings (rowsOf), the concatenation of their inputs along dimension 0, and the split of the batch's outputs
 * back into one result per request. Concatenation is the batched path's one copy of input data: one new buffer
 * per input, filled with TypedArray.set (a memcpy). Splitting copies nothing: each result is a subarray view of
 * the batch's output buffer. BYTES tensors (string[]) concatenate and split as arrays of references.
 */
import { NumericArray, TensorData, dataTypeByOrt } from '../codec/dtypes';
import { BorrowedBytes, inputBytes } from '../codec/tensor-codec';
import { AmaasError } from '../errors';
import type { TensorPayload } from '../pool/messages';
import type { JobInput } from './scheduler';

type Inputs = Readonly<Record<string, JobInput>>;

/**
 * Rows a request carries: the first dimension its inputs share. null when inputs disagree (or one is a scalar):
 * such a request keeps its own meaning only when it runs alone, so the batcher never merges it.
 */
export function rowsOf(inputs: Inputs): number | null {
  let rows: number | null = null;
  for (const t of Object.values(inputs)) {
    if (t.dims.length === 0) return null;
    if (rows === null) rows = t.dims[0];
    else if (t.dims[0] !== rows) return null;
  }
  return rows;
}

/**
 * Requests with equal keys can be concatenated: same inputs, datatypes and every dimension but the first, and
 * the same requested outputs in the same order. null when the request cannot merge with anything.
 */
export function mergeKey(inputs: Inputs, outputNames: readonly string[]): string | null {
  if (rowsOf(inputs) === null) return null;
  const parts = Object.keys(inputs)
    .sort()
    .map((name) => {
      const t = inputs[name];
      return `${name}:${t.type}[${t.dims.slice(1).join(',')}]`;
    });
  return `${parts.join(';')}->${outputNames.join(',')}`;
}

export interface AssembledBatch {
  readonly inputs: Record<string, TensorPayload>;
  /** The new buffers, to move into the worker. */
  readonly transferList: ArrayBuffer[];
  /** Input bytes copied into the batch (string elements are references, so BYTES copies count 0). */
  readonly bytesCopied: number;
}

/**
 * Concatenates the members' inputs along dimension 0; members must share a mergeKey. Bytes are copied straight
 * from where they are (borrowed from the receive buffer, or an array of their own) into the batch's buffer.
 */
export function concatInputs(members: readonly Inputs[]): AssembledBatch {
  if (members.length === 0) throw new AmaasError('AMAAS_ERR_INTERNAL', 'cannot assemble an empty batch');
  const inputs: Record<string, TensorPayload> = {};
  const transferList: ArrayBuffer[] = [];
  let bytesCopied = 0;
  for (const name of Object.keys(members[0])) {
    const parts = members.map((m) => m[name]);
    const first = parts[0];
    const rows = parts.reduce((n, p) => n + p.dims[0], 0);
    const dims = [rows, ...first.dims.slice(1)];
    if (Array.isArray(first.data)) {
      inputs[name] = { type: first.type, dims, data: ([] as string[]).concat(...parts.map((p) => p.data as string[])) };
      continue;
    }
    const sources = parts.map((p) => inputBytes(p.data as NumericArray | BorrowedBytes));
    const total = sources.reduce((n, b) => n + b.byteLength, 0);
    const datatype = dataTypeByOrt(first.type);
    if (!datatype?.array) throw new AmaasError('AMAAS_ERR_INTERNAL', `input '${name}' has no numeric type (${first.type})`);
    const buffer = new ArrayBuffer(total);
    const target = new Uint8Array(buffer);
    let offset = 0;
    for (const bytes of sources) {
      target.set(bytes, offset);
      offset += bytes.byteLength;
    }
    bytesCopied += total;
    inputs[name] = { type: first.type, dims, data: new datatype.array(buffer) };
    transferList.push(buffer);
  }
  return { inputs, transferList, bytesCopied };
}

/**
 * Splits each output along dimension 0 by the members' row counts, in member order. Fails (for every member)
 * when an output's first dimension is not the batch's row count: the model's first dimension is then not a
 * batch dimension, and it must be served with max_batch_size: 0.
 */
export function splitOutputs(
  outputs: Readonly<Record<string, TensorPayload>>,
  rowCounts: readonly number[],
): Record<string, TensorPayload>[] {
  const total = rowCounts.reduce((n, r) => n + r, 0);
  const results: Record<string, TensorPayload>[] = rowCounts.map(() => ({}));
  for (const [name, t] of Object.entries(outputs)) {
    if (t.dims.length === 0 || t.dims[0] !== total) {
      throw new AmaasError(
        'AMAAS_ERR_RUNTIME_FAILURE',
        `output '${name}' has shape [${t.dims.join(',')}] for a merged batch of ${total} rows, so it cannot be split ` +
          `back per request; this model's first dimension is not a batch dimension: set max_batch_size: 0 in its config`,
      );
    }
    const rest = t.dims.slice(1);
    const rowSize = rest.reduce((n, d) => n * d, 1);
    let row = 0;
    rowCounts.forEach((rows, i) => {
      results[i][name] = { type: t.type, dims: [rows, ...rest], data: sliceRows(t.data, row * rowSize, (row + rows) * rowSize) };
      row += rows;
    });
  }
  return results;
}

/** A view for typed arrays (no copy); a new array of the same string references for BYTES. */
function sliceRows(data: TensorData, start: number, end: number): TensorData {
  return Array.isArray(data) ? data.slice(start, end) : data.subarray(start, end);
}
