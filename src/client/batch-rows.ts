/**
 * Where a batch job's rows come from: a JSON Lines file (each line one request's inputs, in `amaas predict
 * --inputs` form) or one `.npy` file per input (row i of every file makes request i). Both are read as streams
 * from a position (a byte offset, or a row index) so that a resumed job starts where the last one stopped
 * without reading what came before. A row that cannot become a request is a RowFailure: it gets an error line
 * and the job goes on.
 */
import { promises as fsp } from 'node:fs';
import { AmaasError, toAmaasError } from '../errors';
import { listed, quoted } from '../errors-format';
import { dataTypeByName } from '../codec/dtypes';
import { parseJson } from '../codec/json-text';
import { tensorFromJson } from '../codec/json-tensor';
import { parseShape } from '../codec/tensor-codec';
import type { ClientTensor, ModelInfo } from './amaas-client';
import { NpyFile } from './npy-reader';

export interface RowInputs {
  /** 1-based line (JSON Lines) or row (.npy) number. */
  readonly line: number;
  readonly inputs: Record<string, ClientTensor>;
  /** The source position just after this row: where a job resumed after it starts reading. */
  readonly next: number;
}

export interface RowFailure {
  readonly line: number;
  readonly error: AmaasError;
  readonly next: number;
}

export type Row = RowInputs | RowFailure;

export interface RowSource {
  /** Rows in the whole source (counted up front for JSON Lines), for progress and ETA. */
  readonly total: number;
  /** Rows from `position` on; `line` is the number of the first. */
  rows(position: number, line: number): AsyncGenerator<Row>;
  close(): Promise<void>;
}

/** The files a job reads, as its checkpoint records them (a resume must read the same files). */
export interface SourceIdentity {
  readonly format: 'jsonl' | 'npy';
  readonly files: ReadonlyArray<{ readonly input?: string; readonly path: string; readonly size: number }>;
}

/** A line longer than this is refused (as that line's error) rather than held in memory. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

interface RawLine {
  readonly text: string | null;
  /** Byte offset just after the line's newline. */
  readonly next: number;
}

/** Bytes read at a time: one buffer, reused, so reading allocates nothing per chunk that the GC must chase. */
const READ_BYTES = 1 << 18;

/** The chunks of a file from byte `start`, each valid only until the next is asked for (the buffer is reused). */
async function* chunks(file: string, start: number): AsyncGenerator<Buffer> {
  const fh = await fsp.open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    for (let position = start; ; ) {
      const { bytesRead } = await fh.read(buffer, 0, READ_BYTES, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/** Splits a file into lines from byte `start`, streaming; `text` is null for a line over MAX_LINE_BYTES. */
export async function* readLines(file: string, start: number): AsyncGenerator<RawLine> {
  // The start of a line that runs past the end of a chunk, copied out of the reused buffer.
  let parts: Buffer[] = [];
  let held = 0;
  let tooLong = false;
  let offset = start;
  const finish = (piece: Buffer, next: number): RawLine => {
    let text: string | null = null;
    if (!tooLong) {
      const whole = parts.length === 0 ? piece : Buffer.concat([...parts, piece]);
      const end = whole.length > 0 && whole[whole.length - 1] === 0x0d ? whole.length - 1 : whole.length;
      text = whole.toString('utf8', 0, end);
    }
    parts = [];
    held = 0;
    tooLong = false;
    return { text, next };
  };
  for await (const chunk of chunks(file, start)) {
    let from = 0;
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
      yield finish(chunk.subarray(from, nl), offset + nl + 1);
      from = nl + 1;
    }
    offset += chunk.length;
    if (from < chunk.length && !tooLong) {
      held += chunk.length - from;
      if (held > MAX_LINE_BYTES) {
        tooLong = true;
        parts = [];
      } else {
        parts.push(Buffer.from(chunk.subarray(from)));
      }
    }
  }
  // A last line without a newline is a line; the empty remainder after a final newline is not.
  if (held > 0) yield finish(Buffer.alloc(0), offset);
}

/** Lines in the file: newlines, plus one for a last line without its newline. */
export async function countLines(file: string): Promise<number> {
  let lines = 0;
  let last = 0x0a;
  for await (const chunk of chunks(file, 0)) {
    for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) lines++;
    last = chunk[chunk.length - 1];
  }
  return last === 0x0a ? lines : lines + 1;
}

interface JsonTensorSpec {
  datatype?: unknown;
  shape?: unknown;
  data: unknown;
}

/**
 * One line's inputs: `{"x": [[1,2,3,4]]}` (datatype from the model's metadata, shape from the nesting) or
 * `{"x": {"datatype": "FP32", "shape": [1,4], "data": [1,2,3,4]}}`, as `amaas predict --inputs` takes them.
 */
export function inputsFromLine(text: string, model: ModelInfo): Record<string, ClientTensor> {
  if (text.trim() === '') throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', 'the line is empty; each line must hold one JSON object of inputs');
  let parsed: unknown;
  try {
    parsed = parseJson(text);
  } catch (err) {
    throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `the line is not valid JSON (${(err as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', 'the line must be a JSON object mapping input names to data');
  }
  const inputs: Record<string, ClientTensor> = {};
  for (const [name, value] of Object.entries(parsed)) {
    const spec: JsonTensorSpec = Array.isArray(value) || typeof value !== 'object' || value === null ? { data: value } : (value as JsonTensorSpec);
    const datatypeName = spec.datatype ?? model.inputs.find((i) => i.name === name)?.datatype;
    if (datatypeName === undefined) {
      throw new AmaasError(
        'AMAAS_ERR_INPUT_UNKNOWN',
        `model ${quoted(model.name)} has no input ${quoted(name)} (inputs: ${listed(model.inputs.map((i) => i.name))}), and no datatype was given`,
      );
    }
    const datatype = typeof datatypeName === 'string' ? dataTypeByName(datatypeName) : undefined;
    if (!datatype) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `input ${quoted(name)}: unknown datatype ${quoted(String(datatypeName))}`);
    if (spec.shape !== undefined && !Array.isArray(spec.shape)) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `input ${quoted(name)}: "shape" must be an array of dimensions`);
    const t = tensorFromJson(name, datatype, spec.data, spec.shape === undefined ? undefined : parseShape(name, spec.shape));
    inputs[name] = { data: t.data, dims: [...t.shape], datatype: datatype.name };
  }
  return inputs;
}

export async function jsonLinesSource(file: string, model: ModelInfo): Promise<RowSource> {
  const total = await countLines(file);
  return {
    total,
    async *rows(position, line) {
      for await (const raw of readLines(file, position)) {
        const n = line++;
        if (raw.text === null) {
          yield { line: n, error: new AmaasError('AMAAS_ERR_MESSAGE_TOO_LARGE', `the line is longer than ${MAX_LINE_BYTES} bytes`), next: raw.next };
          continue;
        }
        try {
          yield { line: n, inputs: inputsFromLine(raw.text, model), next: raw.next };
        } catch (err) {
          yield { line: n, error: toAmaasError(err), next: raw.next };
        }
      }
    },
    close: async () => undefined,
  };
}

/**
 * Rows of one .npy file per input, zipped: row i of each file is input `name` of request i. A row has the
 * model's rank: [1, ...rest] when the model's input has one more dimension than a row (a batch dimension),
 * else the row's own dimensions. Files that cannot serve the model at all (datatype, row counts) fail the job
 * before it starts, since every row would fail alike.
 */
export async function npyColumnsSource(files: ReadonlyArray<{ input: string; path: string }>, model: ModelInfo): Promise<RowSource> {
  const opened: NpyFile[] = [];
  try {
    for (const f of files) opened.push(await NpyFile.open(f.path));
    const columns = files.map((f, i) => {
      const npy = opened[i];
      const spec = model.inputs.find((s) => s.name === f.input);
      if (!spec) throw new AmaasError('AMAAS_ERR_INPUT_UNKNOWN', `model ${quoted(model.name)} has no input ${quoted(f.input)} (inputs: ${listed(model.inputs.map((s) => s.name))})`);
      if (spec.datatype !== npy.header.datatype.name) {
        throw new AmaasError('AMAAS_ERR_DATATYPE_MISMATCH', `input ${quoted(f.input)} of model ${quoted(model.name)} is ${spec.datatype}, but ${f.path} holds ${npy.header.datatype.name}`);
      }
      const rest = npy.header.shape.slice(1);
      const dims = spec.shape.length === rest.length + 1 ? [1, ...rest] : rest;
      return { name: f.input, npy, dims, datatype: npy.header.datatype.name };
    });
    const total = opened[0].rows;
    const uneven = columns.find((c) => c.npy.rows !== total);
    if (uneven) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `${uneven.npy.file} has ${uneven.npy.rows} rows, but ${columns[0].npy.file} has ${total}; every input file needs one row per request`);
    return {
      total,
      async *rows(position, line) {
        const readers = columns.map((c) => c.npy.read(position));
        for (let row = position; row < total; row++) {
          const inputs: Record<string, ClientTensor> = {};
          for (let i = 0; i < columns.length; i++) {
            const next = await readers[i].next();
            if (next.done) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `${columns[i].npy.file} ended before row ${row + 1}`);
            inputs[columns[i].name] = { data: next.value, dims: columns[i].dims, datatype: columns[i].datatype };
          }
          yield { line: line++, inputs, next: row + 1 };
        }
      },
      close: async () => {
        await Promise.all(opened.map((f) => f.close()));
      },
    };
  } catch (err) {
    await Promise.all(opened.map((f) => f.close()));
    throw err;
  }
}
