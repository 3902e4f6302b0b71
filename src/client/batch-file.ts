/**
 * Batch jobs for the SDK (and `amaas batch`): a file of rows streamed through one BatchPredict call, answered
 * as one output line per input line, in input order, with a checkpoint to resume from after a crash.
 *
 *   const summary = await batchFile(client, { model: 'scale', input: 'rows.jsonl', output: 'results.jsonl', resume: true });
 *
 * At most `window` requests are in flight; while the window is full no more rows are read, so memory stays
 * bounded whatever the file's size (answers that arrive out of order wait, at most `window` of them, until the
 * lines before them are written). A row that cannot be read, or that the server refuses, gets an error line
 * and the job goes on. A failure of the stream itself (the server went away) ends the job after the lines
 * answered so far are written and checkpointed: running it again with `resume` continues from there.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { AmaasError } from '../errors';
import type { AmaasClient, BatchItem, BatchResult, ModelInfo } from './amaas-client';
import { JobIdentity, START, readCheckpoint, removeCheckpoint } from './batch-checkpoint';
import { batchesOnFirstDim, errorLine, mergeKey, mergeRows, resultLine, rowSizes, splitOutputs } from './batch-lines';
import { BatchOutput } from './batch-output';
import { Row, RowFailure, RowInputs, RowSource, SourceIdentity, jsonLinesSource, npyColumnsSource } from './batch-rows';

export interface NpyInput {
  /** The model input this file feeds. */
  readonly input: string;
  readonly path: string;
}

export interface BatchFileOptions {
  readonly model: string;
  /** Model version; default (0): the model's default version. */
  readonly version?: number;
  /** A JSON Lines file (one request's inputs per line), or .npy files, one per input (rows along dimension 0). */
  readonly input: string | readonly NpyInput[];
  /** Where the result lines go; its checkpoint is `<output>.checkpoint`. */
  readonly output: string;
  /**
   * Consecutive rows merged into one request along the first dimension (models that batch on it). Default:
   * DEFAULT_BATCH_ROWS for a model whose inputs and outputs all have a variable first dimension, else 1.
   */
  readonly batchRows?: number;
  /** Requests in flight on the stream at most; default 64. */
  readonly window?: number;
  /** Continue after the checkpoint when there is one (a first run simply starts). */
  readonly resume?: boolean;
  /** Outputs to return; default: all. */
  readonly outputs?: readonly string[];
  /** Called as lines are done (at most every 100 ms, and once at the end). */
  readonly onProgress?: (progress: BatchProgress) => void;
  /** How often the output is made durable and checkpointed, in ms; default 1000. */
  readonly checkpointMs?: number;
}

export interface BatchProgress {
  /** Lines done, counting those of earlier runs of a resumed job. */
  readonly done: number;
  readonly total: number;
  readonly ok: number;
  readonly failed: number;
  /** Lines that were already done when this run started. */
  readonly resumedAt: number;
}

export interface BatchSummary extends BatchProgress {
  /** Rows answered by this run. */
  readonly rows: number;
  readonly wallMs: number;
  /** This run's rows per second of wall time. */
  readonly rowsPerSecond: number;
}

export const DEFAULT_WINDOW = 64;
/**
 * Rows per request when the caller names none and the model batches on its first dimension. The server's
 * dynamic batcher merges rows of separate requests anyway, so merging them here changes no answer; it saves
 * the per-request cost on both sides (bench/batch-job.ts: 0.53x the BatchPredict bench's rows/s at 1 row per
 * request, 4.45x at 16, BENCHMARKS.md).
 */
export const DEFAULT_BATCH_ROWS = 16;

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `${name} must be a positive integer, got ${value}`);
  return value;
}

async function openSource(input: BatchFileOptions['input'], model: ModelInfo): Promise<{ source: RowSource; identity: SourceIdentity }> {
  const size = (file: string) => fs.statSync(file).size;
  if (typeof input === 'string' && !input.endsWith('.npy')) {
    const file = path.resolve(input);
    return { source: await jsonLinesSource(file, model), identity: { format: 'jsonl', files: [{ path: file, size: size(file) }] } };
  }
  let columns: NpyInput[];
  if (typeof input === 'string') {
    if (model.inputs.length !== 1) {
      throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `model '${model.name}' has ${model.inputs.length} inputs: name the input of each .npy file (input=file.npy)`);
    }
    columns = [{ input: model.inputs[0].name, path: input }];
  } else {
    columns = input.map((c) => ({ input: c.input, path: c.path }));
  }
  if (columns.length === 0) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', 'give at least one input file');
  const files = columns.map((c) => ({ input: c.input, path: path.resolve(c.path), size: size(c.path) }));
  return { source: await npyColumnsSource(files, model), identity: { format: 'npy', files } };
}

/** Rows of one request: `rows[from, to)` of a slot. */
interface Pending {
  readonly slot: Slot;
  readonly from: number;
  readonly to: number;
}

/** Consecutive input lines that leave together: one request's rows, or one row that failed before sending. */
interface Slot {
  readonly rows: readonly RowInputs[];
  readonly sizes: readonly number[];
  readonly texts: string[];
  readonly ok: boolean[];
  left: number;
  /** The input position after the slot's last row. */
  readonly next: number;
}

function failedSlot(row: RowFailure): Slot {
  return { rows: [], sizes: [], texts: [errorLine(row.line, row.error.code, row.error.message)], ok: [false], left: 0, next: row.next };
}

export async function batchFile(client: AmaasClient, o: BatchFileOptions): Promise<BatchSummary> {
  const t0 = performance.now();
  if (o.batchRows !== undefined) positiveInteger('batchRows', o.batchRows);
  const window = positiveInteger('window', o.window ?? DEFAULT_WINDOW);
  const version = o.version ?? 0;
  const model = await client.getModelMetadata(o.model, version);
  const batchRows = o.batchRows ?? (batchesOnFirstDim(model) ? DEFAULT_BATCH_ROWS : 1);
  if (batchRows > 1 && !batchesOnFirstDim(model)) {
    throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `batchRows > 1 needs a model whose inputs and outputs all have a variable first (batch) dimension; '${model.name}' has not`);
  }
  const { source, identity } = await openSource(o.input, model);
  try {
    const job: JobIdentity = { model: o.model, version, outputs: [...(o.outputs ?? [])], source: identity };
    const start = o.resume ? await readCheckpoint(o.output, job) : START;
    const summary = (p: { lines: number; ok: number; failed: number }): BatchSummary => {
      const wallMs = performance.now() - t0;
      const rows = p.lines - start.lines;
      return { done: p.lines, total: source.total, ok: p.ok, failed: p.failed, resumedAt: start.lines, rows, wallMs, rowsPerSecond: rows / (wallMs / 1000) };
    };
    if (start.complete) {
      o.onProgress?.(summary(start));
      return summary(start);
    }
    // A stale checkpoint must never describe the new output a fresh run writes.
    if (start === START) await removeCheckpoint(o.output);
    const out = await BatchOutput.open(o.output, job, start, o.checkpointMs ?? 1000);
    try {
      await run(client, o, { source, start, out, batchRows, window, version, summary });
      return summary(out.state);
    } finally {
      await out.close();
    }
  } finally {
    await source.close();
  }
}

interface RunContext {
  readonly source: RowSource;
  readonly start: typeof START;
  readonly out: BatchOutput;
  readonly batchRows: number;
  readonly window: number;
  readonly version: number;
  readonly summary: (p: { lines: number; ok: number; failed: number }) => BatchSummary;
}

async function run(client: AmaasClient, o: BatchFileOptions, c: RunContext): Promise<void> {
  const { out, batchRows, window } = c;
  // Done slots wait here for the ones before them; the bound keeps a long run of failing rows from piling up.
  const slots: Slot[] = [];
  const maxSlots = 2 * window + 256;
  const inFlight = new Map<string, Pending>();
  const retries: Pending[] = [];
  let seq = 0;
  let stopped = false;
  let sourceDone = false;
  let wake: (() => void) | null = null;
  const changed = () => new Promise<void>((resolve) => (wake = resolve));
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  let lastProgress = 0;
  const report = (force = false) => {
    if (!o.onProgress) return;
    const now = performance.now();
    if (!force && now - lastProgress < 100) return;
    lastProgress = now;
    o.onProgress(c.summary(out.state));
  };

  /** Hands the done slots at the head over to the output, in order. */
  const drain = async () => {
    let moved = false;
    while (slots.length > 0 && slots[0].left === 0) {
      const s = slots.shift()!;
      for (let i = 0; i < s.texts.length; i++) out.add(s.texts[i], s.ok[i], s.next);
      moved = true;
    }
    if (!moved) return;
    notify();
    report();
    await out.flushIfDue();
  };

  const rows = c.source.rows(c.start.position, c.start.lines + 1)[Symbol.asyncIterator]();
  let carry: Row | undefined;
  const pull = async (): Promise<Row | undefined> => {
    if (carry) {
      const r = carry;
      carry = undefined;
      return r;
    }
    const n = await rows.next();
    return n.done ? undefined : n.value;
  };

  /** The next request's rows: up to batchRows rows that merge; failed rows become done slots on the way. */
  const nextGroup = async (): Promise<Pending | null> => {
    const group: RowInputs[] = [];
    let key: string | null = null;
    while (group.length < batchRows) {
      const row = await pull();
      if (!row) {
        sourceDone = true;
        break;
      }
      if ('error' in row) {
        if (group.length > 0) {
          carry = row;
          break;
        }
        slots.push(failedSlot(row));
        await drain();
        return null;
      }
      if (batchRows > 1) {
        const k = mergeKey(row);
        if (group.length > 0 && (k === null || k !== key)) {
          carry = row;
          break;
        }
        group.push(row);
        key = k;
        if (k === null) break;
      } else {
        group.push(row);
      }
    }
    if (group.length === 0) return null;
    const slot: Slot = {
      rows: group,
      sizes: group.length > 1 ? rowSizes(group) : [],
      texts: new Array<string>(group.length),
      ok: new Array<boolean>(group.length),
      left: group.length,
      next: group[group.length - 1].next,
    };
    slots.push(slot);
    return { slot, from: 0, to: group.length };
  };

  const send = (p: Pending): BatchItem => {
    const id = String(seq++);
    inFlight.set(id, p);
    return { id, model: o.model, version: c.version, outputs: o.outputs, inputs: mergeRows(p.slot.rows.slice(p.from, p.to)) };
  };

  async function* items(): AsyncGenerator<BatchItem> {
    while (!stopped) {
      if (inFlight.size >= window || slots.length >= maxSlots) {
        await changed();
        continue;
      }
      const retry = retries.shift();
      if (retry) {
        yield send(retry);
        continue;
      }
      if (!sourceDone) {
        const group = await nextGroup();
        if (group) yield send(group);
        continue;
      }
      if (inFlight.size === 0) return;
      await changed();
    }
  }

  const settle = (p: Pending, answer: BatchResult) => {
    const { slot, from, to } = p;
    let code = 'AMAAS_ERR_INTERNAL';
    let message = 'the answer has no result';
    if (answer.ok) {
      const parts = to - from === 1 ? [answer.result.outputs] : splitOutputs(answer.result.outputs, slot.sizes.slice(from, to));
      if (parts) {
        for (let i = from; i < to; i++) {
          slot.texts[i] = resultLine(slot.rows[i].line, answer.result, parts[i - from]);
          slot.ok[i] = true;
        }
        slot.left -= to - from;
        return;
      }
      message = "the model's outputs do not follow the merged rows along the first dimension";
    } else {
      code = answer.errorCode || code;
      message = answer.message;
    }
    if (to - from > 1) {
      // A merged request failed: each row goes again alone, so the error lands on exactly the rows that cause it.
      for (let i = from; i < to; i++) retries.push({ slot, from: i, to: i + 1 });
      return;
    }
    slot.texts[from] = errorLine(slot.rows[from].line, code, message);
    slot.ok[from] = false;
    slot.left--;
  };

  let failure: unknown = null;
  try {
    for await (const answer of client.batchPredict(items())) {
      const p = inFlight.get(answer.id);
      if (!p) continue;
      inFlight.delete(answer.id);
      settle(p, answer);
      notify();
      await drain();
    }
  } catch (err) {
    failure = err;
  } finally {
    stopped = true;
    notify();
  }
  // Closes the input file when the job stopped in the middle of it (a finished reader has closed it already).
  await rows.return(undefined).catch(() => undefined);
  await drain();
  if (failure === null && (slots.length > 0 || !sourceDone)) {
    failure = new AmaasError('AMAAS_ERR_INTERNAL', 'the stream ended before every row was answered');
  }
  await out.checkpoint(failure === null);
  report(true);
  if (failure !== null) {
    const e = failure as Error & { details?: string };
    const why = e.details || e.message;
    throw Object.assign(new Error(`${why}; ${out.state.lines} lines are written and checkpointed: run again with resume (--resume) to continue`), failure, { details: undefined });
  }
}
