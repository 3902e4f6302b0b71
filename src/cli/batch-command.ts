/**
 * `amaas batch --model M --input rows.jsonl --output results.jsonl [--version N] [--batch-rows R] [--window W]
 * [--resume] [--allow-failures]`: runs a file through BatchPredict with the SDK's batchFile (src/client/batch-file.ts).
 * Progress goes to stderr: a bar on a terminal, a plain line every --progress-secs otherwise; at the end a summary
 * line on stderr and the summary as one JSON object on stdout. Exit status: 0 when every row succeeded (or
 * --allow-failures), 65 (EX_DATAERR) when some rows got error lines, and non-zero like other commands when the
 * job could not run or finish (then its checkpoint lets --resume continue).
 */
import cliProgress from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { AmaasError } from '../errors';
import { BatchFileOptions, BatchProgress, BatchSummary, DEFAULT_BATCH_ROWS, DEFAULT_WINDOW, NpyInput, batchFile } from '../client/batch-file';
import { ClientFlags, clientFrom, withClientOptions } from './client-options';

/** Exit status of a job that finished with error lines (sysexits' EX_DATAERR: the input data was incorrect). */
export const EXIT_ROWS_FAILED = 65;

interface BatchFlags extends ClientFlags {
  model: string;
  input: string[];
  output: string;
  version: number;
  batchRows?: number;
  window: number;
  resume?: boolean;
  allowFailures?: boolean;
  outputs?: string;
  progressSecs: number;
  checkpointMs: number;
}

function count(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`must be an integer of at least ${min}`);
    return n;
  };
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `--input rows.jsonl`, `--input x.npy` (a one-input model) or `--input name=file.npy` once per input. */
export function parseInputFlags(values: readonly string[]): BatchFileOptions['input'] {
  const named = values.filter((v) => /^[^=/\\]+=/.test(v));
  if (named.length === 0) {
    if (values.length !== 1) throw new InvalidArgumentError('give one --input file, or --input name=file.npy once per model input');
    return values[0];
  }
  if (named.length !== values.length) throw new InvalidArgumentError('either one --input file, or every --input as name=file.npy');
  return named.map((v): NpyInput => {
    const at = v.indexOf('=');
    const file = v.slice(at + 1);
    if (!file.endsWith('.npy')) throw new InvalidArgumentError(`--input ${v}: name=file takes .npy files`);
    return { input: v.slice(0, at), path: file };
  });
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The bar on a terminal; plain lines when stderr is a file or a pipe (logs, CI), where a bar would be noise. */
function progressView(everyMs: number): { update(p: BatchProgress): void; stop(): void } {
  const started = Date.now();
  const rate = (p: BatchProgress) => (p.done - p.resumedAt) / Math.max((Date.now() - started) / 1000, 1e-3);
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: 'amaas batch [{bar}] {percentage}% | {value}/{total} rows | {rate} rows/s | ETA {eta_formatted} | {failed} failed',
        stream: process.stderr,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    let shown = false;
    return {
      update(p) {
        if (!shown) {
          bar.start(p.total, p.done, { rate: '0', failed: p.failed });
          shown = true;
        }
        bar.update(p.done, { rate: fmt(rate(p)), failed: p.failed });
      },
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < everyMs && p.done < p.total) return;
      last = now;
      const r = rate(p);
      const eta = r > 0 ? `, ETA ${fmt((p.total - p.done) / r)} s` : '';
      const pct = p.total > 0 ? (100 * p.done) / p.total : 100;
      process.stderr.write(`amaas batch: ${p.done}/${p.total} rows (${fmt(pct, 1)} %), ${p.failed} failed, ${fmt(r)} rows/s${eta}\n`);
    },
    stop: () => undefined,
  };
}

async function batch(o: BatchFlags): Promise<BatchSummary> {
  const input = parseInputFlags(o.input);
  const view = progressView(o.progressSecs * 1000);
  const client = clientFrom(o);
  try {
    return await batchFile(client, {
      model: o.model,
      version: o.version,
      input,
      output: o.output,
      batchRows: o.batchRows,
      window: o.window,
      resume: o.resume === true,
      outputs: o.outputs ? o.outputs.split(',') : undefined,
      onProgress: (p) => view.update(p),
      checkpointMs: o.checkpointMs,
    });
  } finally {
    view.stop();
    client.close();
  }
}

function report(s: BatchSummary, allowFailures: boolean): never {
  const resumed = s.resumedAt > 0 ? ` (${s.resumedAt} done before this run)` : '';
  process.stderr.write(
    `amaas batch: ${s.done} lines${resumed}, ${s.ok} ok, ${s.failed} failed, ${fmt(s.rowsPerSecond)} rows/s, wall ${fmt(s.wallMs / 1000, 1)} s\n`,
  );
  process.stdout.write(
    `${JSON.stringify({ lines: s.done, ok: s.ok, failed: s.failed, resumed_at: s.resumedAt, rows: s.rows, rows_per_second: s.rowsPerSecond, wall_seconds: s.wallMs / 1000 })}\n`,
  );
  process.exit(s.failed > 0 && !allowFailures ? EXIT_ROWS_FAILED : 0);
}

function fail(err: unknown): never {
  const e = err as Error & { code?: unknown; details?: string; errorCode?: string };
  const code = e.errorCode ?? (err instanceof AmaasError ? err.code : undefined);
  process.stderr.write(`amaas batch: ${code ? `${code}: ` : ''}${e.details || e.message || String(err)}\n`);
  process.exit(typeof e.code === 'number' && e.code > 0 ? Math.min(e.code, 125) : 1);
}

export function registerBatchCommand(program: Command): void {
  withClientOptions(program.command('batch'))
    .description('run a file of rows through BatchPredict: one output line per input line, in order, resumable')
    .requiredOption('--model <name>', 'the model to run')
    .requiredOption('--input <file>', 'rows.jsonl (one {"input": data} object per line), x.npy, or name=file.npy once per input', collect)
    .requiredOption('--output <file>', 'where the result lines go (its checkpoint: <file>.checkpoint)')
    .option('--version <n>', 'model version (default: the model default)', count(0), 0)
    .option('--batch-rows <r>', `consecutive rows merged into one request along the first (batch) dimension (default: ${DEFAULT_BATCH_ROWS} for a model with one, else 1)`, count(1))
    .option('--window <w>', 'requests in flight on the stream at most', count(1), DEFAULT_WINDOW)
    .option('--resume', 'continue after the last checkpointed line of an earlier run (a first run simply starts)')
    .option('--allow-failures', 'exit 0 even when some rows got error lines')
    .option('--outputs <names>', 'comma-separated outputs to return (default: all)')
    .option('--checkpoint-ms <ms>', 'how often the output is made durable and checkpointed (fdatasync + checkpoint file)', count(1), 1000)
    .option('--progress-secs <s>', 'seconds between plain progress lines when stderr is not a terminal', count(1), 5)
    .action((o: BatchFlags) =>
      batch(o).then(
        (s) => report(s, o.allowFailures === true),
        (err) => fail(err),
      ),
    );
}
