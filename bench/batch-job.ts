/**
 * node dist/bench/batch-job.js [--model scale] [--rows 1000000] [--batch-rows 16] [--window 64]
 *                              [--concurrency 64] [--duration 10] [--sample 200] [--out FILE]
 *
 * `amaas batch` against the BatchPredict bench on the same model and server: starts amaas on 127.0.0.1 with a
 * bench model, writes a JSON Lines file of --rows rows (batch-rows-gen.ts), runs `amaas batch` on it as its own
 * process while sampling that process's peak RSS (VmHWM in /proc/<pid>/status), checks the output (one line
 * per row, in order; --sample lines equal to a per-row Predict), then drives the same server with the
 * BatchPredict load client (load-client.ts, --mode stream) for --duration seconds at --concurrency. Prints
 * both throughputs in rows per second, their ratio and the CLI's peak RSS; writes JSON.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { AmaasClient } from '../src/client/amaas-client';
import { PACKAGE_ROOT } from '../src/paths';
import { BENCH_MODELS } from './bench-models';
import { runMain, stopServer } from './bench-process';
import { rowValues, writeRowsFile } from './batch-rows-gen';
import { Options, describeMachine, drive, prepareRepository, waitForLine } from './run';

const CLI = path.join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'amaas.js');

interface BatchJobOptions {
  model: string;
  rows: number;
  batchRows: number;
  window: number;
  concurrency: number;
  durationS: number;
  sample: number;
  out?: string;
}

function parseArgs(argv: string[]): BatchJobOptions {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const o: BatchJobOptions = {
    model: get('--model') ?? 'scale',
    rows: Number(get('--rows') ?? 1_000_000),
    batchRows: Number(get('--batch-rows') ?? 16),
    window: Number(get('--window') ?? 64),
    concurrency: Number(get('--concurrency') ?? 64),
    durationS: Number(get('--duration') ?? 10),
    sample: Number(get('--sample') ?? 200),
    out: get('--out'),
  };
  if (!BENCH_MODELS[o.model]) throw new Error(`unknown --model ${o.model}; one of ${Object.keys(BENCH_MODELS).join(', ')}`);
  if (!(o.durationS > 0 && o.durationS <= 600)) throw new Error('--duration must be in (0, 600] seconds');
  for (const k of ['rows', 'batchRows', 'window', 'concurrency', 'sample'] as const) {
    if (!Number.isSafeInteger(o[k]) || o[k] < (k === 'sample' ? 0 : 1)) throw new Error(`--${k} must be a positive integer`);
  }
  return o;
}

/** Peak resident memory of a process so far (VmHWM), in MiB; null once it is gone. */
function peakRssMiB(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

interface CliRun {
  rowsPerSecond: number;
  wallSeconds: number;
  peakRssMiB: number;
  exitCode: number | null;
}

async function runBatchCli(o: BatchJobOptions, address: string, input: string, output: string): Promise<CliRun> {
  const child = spawn(
    process.execPath,
    [CLI, 'batch', '--address', address, '--model', o.model, '--input', input, '--output', output, '--batch-rows', String(o.batchRows), '--window', String(o.window), '--progress-secs', '10'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  // VmHWM only grows, so the last reading before exit is the peak (give or take the last 50 ms).
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, peakRssMiB(child.pid!) ?? 0)), 50);
  let stdout = '';
  child.stdout!.on('data', (d) => (stdout += d));
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  clearInterval(timer);
  const summary = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { rows_per_second: number; wall_seconds: number };
  return { rowsPerSecond: summary.rows_per_second, wallSeconds: summary.wall_seconds, peakRssMiB: peak, exitCode };
}

/** One line per row in order, and every `every`-th line equal to the same row sent alone with Predict. */
async function checkOutput(o: BatchJobOptions, address: string, output: string): Promise<{ lines: number; inOrder: boolean; sampled: number; equal: number }> {
  const model = BENCH_MODELS[o.model];
  const client = new AmaasClient(address);
  const every = o.sample > 0 ? Math.max(1, Math.floor(o.rows / o.sample)) : 0;
  let lines = 0;
  let inOrder = true;
  let sampled = 0;
  let equal = 0;
  try {
    for await (const text of readline.createInterface({ input: fs.createReadStream(output), crlfDelay: Infinity })) {
      lines++;
      const line = JSON.parse(text) as { line: number; outputs?: Record<string, { data: number[] }> };
      if (line.line !== lines) inOrder = false;
      if (every > 0 && lines % every === 0) {
        sampled++;
        const elements = model.input.dims.reduce((a, b) => a * b, 1);
        const alone = await client.predict(o.model, { [model.input.name]: { data: Float32Array.from(rowValues(lines, elements)), dims: [...model.input.dims] } });
        const same = Object.entries(alone.outputs).every(([name, t]) => JSON.stringify(Array.from(t.data as Float32Array)) === JSON.stringify(line.outputs?.[name]?.data));
        if (same) equal++;
      }
    }
  } finally {
    client.close();
  }
  return { lines, inOrder, sampled, equal };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const model = BENCH_MODELS[o.model];
  const repo = await prepareRepository(model, { batching: true } as Options);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amaas-batch-bench-'));
  const input = path.join(dir, 'rows.jsonl');
  const output = path.join(dir, 'results.jsonl');
  await writeRowsFile(input, { input: model.input.name, dims: model.input.dims, rows: o.rows });
  const server = spawn(process.execPath, [CLI, 'serve', '--model-repository', repo, '--port', '0'], {
    env: { ...process.env, AMAAS_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const address = await waitForLine(server, /amaas serving on (\S+)/);
    const spec = { target: 'amaas' as const, address, mode: 'stream' as const, model: model.name, input: { name: model.input.name, dims: [...model.input.dims] }, maxRequests: 2_000_000 };
    // The same warm-up as the bench's, so neither measurement pays for the server's first calls.
    await drive({ ...spec, durationMs: 3000 }, o.concurrency, 1);
    const cli = await runBatchCli(o, address, input, output);
    const check = await checkOutput(o, address, output);
    const stream = await drive({ ...spec, durationMs: o.durationS * 1000 }, o.concurrency, 1, server.pid);
    const rowsPerItem = model.input.dims[0];
    const streamRows = stream.throughput * rowsPerItem;
    const lines = [
      `amaas batch vs the BatchPredict bench: model ${o.model}, ${o.rows} rows, --batch-rows ${o.batchRows}, --window ${o.window}; bench at concurrency ${o.concurrency} for ${o.durationS} s`,
      `machine: ${describeMachine()}`,
      `amaas batch: ${Math.round(cli.rowsPerSecond)} rows/s, wall ${cli.wallSeconds.toFixed(1)} s, CLI peak RSS (VmHWM) ${cli.peakRssMiB.toFixed(1)} MiB, exit ${cli.exitCode}`,
      `output: ${check.lines} lines, ${check.inOrder ? 'in order' : 'NOT in order'}, ${check.equal}/${check.sampled} sampled lines equal to per-row Predict`,
      `BatchPredict bench: ${Math.round(streamRows)} rows/s (${Math.round(stream.throughput)} items/s), errors ${JSON.stringify(stream.errors)}`,
      `ratio amaas batch / BatchPredict bench: ${(cli.rowsPerSecond / streamRows).toFixed(2)}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    const out = o.out ?? path.join(PACKAGE_ROOT, 'bench', 'results', `batch-job-${o.model}-${Date.now()}.json`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify({ command: `node dist/bench/batch-job.js ${process.argv.slice(2).join(' ')}`, machine: describeMachine(), options: o, cli, check, stream }, null, 1));
    process.stdout.write(`results: ${path.relative(process.cwd(), out)}\n`);
  } finally {
    await stopServer(server, dir, repo);
  }
}

runMain(main);
