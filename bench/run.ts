/**
 * npm run bench -- --model M --concurrency N[,N...] --duration S [--mode unary|stream] [--batching on|off]
 *                  [--clients K] [--runs R] [--instances I] [--threads T] [--delay-us D] [--protocol amaas|kserve]
 *                  [--spin-us S] [--out FILE] [--no-ceilings] [--api-key KEY] [--tls]
 *
 * Starts amaas on 127.0.0.1 with the model, drives it from K separate client processes, and in the same run
 * measures the two ceilings it is compared with: raw onnxruntime-node on the same thread budget (best
 * configuration and batch size) and a grpc-js echo server with the same payload and clients; for unary
 * amaas.v1 also the reference first server (first-server.ts). Prints throughput, latency percentiles, errors,
 * server CPU (by thread) and RSS, and each ratio; writes JSON. Every loop is
 * bounded by the duration and a request count, and only 127.0.0.1 is targeted.
 *
 * --api-key KEY serves with a tenants file that admits KEY (tenant `bench`, every model, infer and metadata)
 * and sends it as `authorization: Bearer` on every amaas call; --tls serves gRPC over TLS with a CA and server
 * certificate made by openssl for the run, and the clients trust that CA. Both apply to amaas only, not to
 * the echo ceiling. Run with and without them to measure what auth and TLS cost.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PACKAGE_ROOT } from '../src/paths';
import { makeCa, serverCertificate } from '../test/helpers/certificates';
import type { BaselineResult } from './baseline-ort';
import { BENCH_MODELS, BenchModel } from './bench-models';
import type { LoadResult, LoadSpec } from './load-client';
import { LatencySummary, ThreadCpu, cpuSeconds, mainThreadCpuSeconds, median, sampleRss, summarize, threadCpuSeconds } from './stats';

const execFileP = promisify(execFile);
const DIST_BENCH = path.join(PACKAGE_ROOT, 'dist', 'bench');
const CLI = path.join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'amaas.js');
const MAX_REQUESTS_PER_CLIENT = 2_000_000;
const WARMUP_MS = 3000;

export interface Options {
  model: string;
  concurrency: number[];
  durationS: number;
  mode: 'unary' | 'stream';
  batching: boolean;
  clients: number;
  runs: number;
  instances?: number;
  threads?: number;
  /** dynamic_batching.max_queue_delay_microseconds; unset = the server's default. */
  delayUs?: number;
  /** worker_spin_us; unset = the server's default. */
  spinUs?: number;
  ceilings: boolean;
  /** Which API drives the server: amaas.v1 (default) or the Open Inference Protocol's ModelInfer. */
  protocol: 'amaas' | 'kserve';
  out?: string;
  /** Serve with auth (a tenants file admitting this key) and send it on every call. */
  apiKey?: string;
  /** Serve gRPC over TLS (certificates made for the run). */
  tls: boolean;
}

export interface LoadPoint {
  concurrency: number;
  throughput: number;
  latency: LatencySummary;
  errors: Record<string, number>;
  serverCpuCores?: number;
  /** The server's main (gRPC) thread alone, in cores. */
  serverMainCpuCores?: number;
  /** The server's CPU in cores by thread (stats.ts threadCpuSeconds). */
  serverThreadCpuCores?: ThreadCpu;
  serverRssPeakMiB?: number;
}

export interface BenchRun {
  amaas: LoadPoint[];
  echo: LoadPoint[];
  /** The reference first server (first-server.ts), driven like amaas; empty with --no-ceilings. */
  first: LoadPoint[];
  ort: BaselineResult | null;
}

function parseArgs(argv: string[]): Options {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const o: Options = {
    model: get('--model') ?? 'mlp_large',
    concurrency: (get('--concurrency') ?? '64').split(',').map(Number),
    durationS: Number(get('--duration') ?? 10),
    mode: (get('--mode') as Options['mode']) ?? 'unary',
    batching: (get('--batching') ?? 'on') === 'on',
    clients: Number(get('--clients') ?? 1),
    runs: Number(get('--runs') ?? 1),
    instances: get('--instances') ? Number(get('--instances')) : undefined,
    threads: get('--threads') ? Number(get('--threads')) : undefined,
    delayUs: get('--delay-us') !== undefined ? Number(get('--delay-us')) : undefined,
    spinUs: get('--spin-us') !== undefined ? Number(get('--spin-us')) : undefined,
    ceilings: !argv.includes('--no-ceilings'),
    protocol: (get('--protocol') as Options['protocol']) ?? 'amaas',
    out: get('--out'),
    apiKey: get('--api-key'),
    tls: argv.includes('--tls'),
  };
  if (!BENCH_MODELS[o.model]) throw new Error(`unknown --model ${o.model}; one of ${Object.keys(BENCH_MODELS).join(', ')}`);
  if (!(o.durationS > 0 && o.durationS <= 600)) throw new Error('--duration must be in (0, 600] seconds');
  if (o.protocol === 'kserve' && o.mode !== 'unary') throw new Error('--protocol kserve drives unary ModelInfer only');
  if (o.concurrency.some((c) => !(c >= 1 && c <= 4096))) throw new Error('--concurrency must be between 1 and 4096');
  if (o.apiKey !== undefined && !/^[\x21-\x7e]+$/.test(o.apiKey)) throw new Error('--api-key needs a value of printable ASCII without spaces');
  return o;
}

export function waitForLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = pattern.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`process exited (${code}) before printing ${pattern}`)));
  });
}

export async function prepareRepository(model: BenchModel, o: Pick<Options, 'batching' | 'instances' | 'threads' | 'delayUs' | 'spinUs'>): Promise<string> {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'amaas-bench-'));
  await model.write(repo);
  const config: Record<string, unknown> = { ...model.config };
  if (!o.batching) config.max_batch_size = 0;
  if (o.instances) config.instances = o.instances;
  if (o.threads) config.intra_op_threads = o.threads;
  if (o.delayUs !== undefined && o.batching) config.dynamic_batching = { max_queue_delay_microseconds: o.delayUs };
  if (o.spinUs !== undefined) config.worker_spin_us = o.spinUs;
  fs.writeFileSync(path.join(repo, model.name, 'config.json'), JSON.stringify(config));
  return repo;
}

/**
 * The server config file for --api-key and --tls (null when neither is set): a tenants file admitting the key
 * and TLS files made for the run, all in `dir`. Returns what the load clients need to connect.
 */
export function prepareSecurity(o: Options, dir: string): { configArgs: string[]; client: Pick<LoadSpec, 'apiKey' | 'tlsCaFile'> } {
  if (o.apiKey === undefined && !o.tls) return { configArgs: [], client: {} };
  const config: Record<string, unknown> = {};
  const client: Pick<LoadSpec, 'apiKey' | 'tlsCaFile'> = {};
  if (o.apiKey !== undefined) {
    const sha256 = crypto.createHash('sha256').update(o.apiKey, 'utf8').digest('hex');
    const tenants = { tenants: { bench: { keys: [{ id: 'bench-1', sha256 }], models: ['*'], scopes: ['infer', 'metadata'] } } };
    fs.writeFileSync(path.join(dir, 'tenants.json'), JSON.stringify(tenants));
    config.auth = { tenants_file: path.join(dir, 'tenants.json') };
    client.apiKey = o.apiKey;
  }
  if (o.tls) {
    const ca = makeCa(dir, 'bench-ca');
    const server = serverCertificate(ca, 'bench-server');
    config.tls = { cert_file: server.cert, key_file: server.key };
    client.tlsCaFile = ca.cert;
  }
  fs.writeFileSync(path.join(dir, 'bench-server.json'), JSON.stringify(config));
  return { configArgs: ['--config', path.join(dir, 'bench-server.json')], client };
}

/** Runs K client processes at once against `address`, splitting the concurrency between them. */
export async function drive(spec: Omit<LoadSpec, 'concurrency'>, concurrency: number, clients: number, serverPid?: number): Promise<LoadPoint> {
  const per = Array.from({ length: clients }, (_, i) => Math.floor(concurrency / clients) + (i < concurrency % clients ? 1 : 0)).filter((c) => c > 0);
  const cpu0 = serverPid ? cpuSeconds(serverPid) : 0;
  const main0 = serverPid ? mainThreadCpuSeconds(serverPid) : 0;
  const threads0 = serverPid ? threadCpuSeconds(serverPid) : null;
  const rss = serverPid ? sampleRss(serverPid) : null;
  const t0 = Date.now();
  const results = await Promise.all(
    per.map(async (c) => {
      const { stdout } = await execFileP(process.execPath, [path.join(DIST_BENCH, 'load-client.js'), JSON.stringify({ ...spec, concurrency: c })], {
        maxBuffer: 512 * 1024 * 1024,
      });
      return JSON.parse(stdout) as LoadResult;
    }),
  );
  const wallS = (Date.now() - t0) / 1000;
  const elapsedS = Math.max(...results.map((r) => r.elapsedMs)) / 1000;
  const errors: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  const point: LoadPoint = {
    concurrency,
    throughput: results.reduce((n, r) => n + r.completed, 0) / elapsedS,
    latency: summarize(results.flatMap((r) => r.latencies)),
    errors,
  };
  if (serverPid && rss) {
    point.serverCpuCores = (cpuSeconds(serverPid) - cpu0) / wallS;
    point.serverMainCpuCores = (mainThreadCpuSeconds(serverPid) - main0) / wallS;
    const threads = threadCpuSeconds(serverPid);
    point.serverThreadCpuCores = { main: 0, worker: 0, onnxruntime: 0, other: 0 };
    for (const k of Object.keys(threads) as (keyof ThreadCpu)[]) point.serverThreadCpuCores[k] = (threads[k] - threads0![k]) / wallS;
    point.serverRssPeakMiB = rss.stop().peak;
  }
  return point;
}

async function runOnce(o: Options): Promise<BenchRun> {
  const model = BENCH_MODELS[o.model];
  const repo = await prepareRepository(model, o);
  const run: BenchRun = { amaas: [], echo: [], first: [], ort: null };
  const base = { model: model.name, input: { name: model.input.name, dims: [...model.input.dims] }, mode: o.mode, maxRequests: MAX_REQUESTS_PER_CLIENT };

  const securityDir = fs.mkdtempSync(path.join(os.tmpdir(), 'amaas-bench-security-'));
  const security = prepareSecurity(o, securityDir);
  const amaasSpec = { ...base, ...security.client, target: o.protocol };
  const server = spawn(process.execPath, [CLI, 'serve', '--model-repository', repo, '--port', '0', ...security.configArgs], {
    env: { ...process.env, AMAAS_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const address = await waitForLine(server, /amaas serving on (\S+)/);
    // Warm-up at the highest concurrency measured: JIT-compiles the hot paths of server and client, fills the
    // batcher's drain-rate estimate, and grows the connection's flow-control windows before anything counts.
    await drive({ ...amaasSpec, address, durationMs: WARMUP_MS }, Math.max(...o.concurrency), 1);
    for (const c of o.concurrency) {
      run.amaas.push(await drive({ ...amaasSpec, address, durationMs: o.durationS * 1000 }, c, o.clients, server.pid));
    }
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    fs.rmSync(securityDir, { recursive: true, force: true });
  }

  if (o.ceilings && o.protocol === 'amaas' && o.mode === 'unary') {
    // The server a Node developer writes first, on the same model, clients and concurrencies.
    const first = spawn(process.execPath, [path.join(DIST_BENCH, 'first-server.js'), path.join(repo, model.name, '1', 'model.onnx')], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const address = await waitForLine(first, /first server on (\S+)/);
      const firstSpec = { ...base, target: 'amaas' as const, address };
      await drive({ ...firstSpec, durationMs: WARMUP_MS }, Math.max(...o.concurrency), 1);
      for (const c of o.concurrency) run.first.push(await drive({ ...firstSpec, durationMs: o.durationS * 1000 }, c, o.clients, first.pid));
    } finally {
      first.kill('SIGTERM');
      await new Promise((r) => first.once('exit', r));
    }
  }

  if (o.ceilings) {
    const echo = spawn(process.execPath, [path.join(DIST_BENCH, 'echo-server.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const address = await waitForLine(echo, /echo on (\S+)/);
      await drive({ ...base, target: 'echo', address, durationMs: WARMUP_MS }, Math.max(...o.concurrency), 1); // same warm-up as amaas
      for (const c of o.concurrency) run.echo.push(await drive({ ...base, target: 'echo', address, durationMs: Math.min(o.durationS, 5) * 1000 }, c, o.clients, echo.pid));
    } finally {
      echo.kill('SIGTERM');
    }
    const batches = model.name === 'ocr_det' ? [1, 2] : [1, 8, 32, 64];
    const { stdout } = await execFileP(process.execPath, [
      path.join(DIST_BENCH, 'baseline-ort.js'),
      path.join(repo, model.name, '1', 'model.onnx'),
      model.input.name,
      JSON.stringify(model.input.dims),
      JSON.stringify(batches),
      String(Math.min(3000, (o.durationS * 1000) / 2)),
    ]);
    run.ort = JSON.parse(stdout) as BaselineResult;
  }
  fs.rmSync(repo, { recursive: true, force: true });
  return run;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function describeMachine(): string {
  return `${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), ${fmt(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const runs: BenchRun[] = [];
  for (let i = 0; i < o.runs; i++) runs.push(await runOnce(o));

  const lines: string[] = [];
  lines.push(`${o.protocol === 'kserve' ? 'Open Inference Protocol ModelInfer (raw), ' : ''}model ${o.model}, mode ${o.mode}, batching ${o.batching ? 'on' : 'off'}, ${o.clients} client process(es), ${o.durationS} s per point, ${o.runs} run(s); medians shown`);
  lines.push(`machine: ${describeMachine()}`);
  for (let i = 0; i < o.concurrency.length; i++) {
    const pts = runs.map((r) => r.amaas[i]);
    const tput = median(pts.map((p) => p.throughput));
    const p50 = median(pts.map((p) => p.latency.p50));
    const p99 = median(pts.map((p) => p.latency.p99));
    const errors = pts.reduce((n, p) => n + Object.values(p.errors).reduce((a, b) => a + b, 0), 0);
    let line = `c=${o.concurrency[i]}: ${fmt(tput)} req/s, p50 ${fmt(p50, 2)} ms, p90 ${fmt(median(pts.map((p) => p.latency.p90)), 2)} ms, p99 ${fmt(p99, 2)} ms, max ${fmt(median(pts.map((p) => p.latency.max)), 2)} ms, errors ${errors}, server CPU ${fmt(median(pts.map((p) => p.serverCpuCores ?? 0)), 2)} cores, RSS peak ${fmt(median(pts.map((p) => p.serverRssPeakMiB ?? 0)))} MiB`;
    // CPU per request by thread: it does not depend on the client sharing the cores, so it is the figure to drive down.
    const perRequest = (k: keyof ThreadCpu) => fmt(median(pts.map((p) => (1e6 * (p.serverThreadCpuCores?.[k] ?? 0)) / p.throughput)));
    line += `\n      CPU per request: gRPC thread ${perRequest('main')} µs, workers ${perRequest('worker')} µs, onnxruntime pools ${perRequest('onnxruntime')} µs, other threads ${perRequest('other')} µs`;
    if (o.ceilings) {
      const echoCpu = median(runs.map((r) => (1e6 * (r.echo[i].serverCpuCores ?? 0)) / r.echo[i].throughput));
      line += `; echo server ${fmt(echoCpu)} µs per call`;
      const echo = median(runs.map((r) => r.echo[i].throughput));
      if (runs[0].first?.length) {
        const first = runs.map((r) => r.first[i]);
        const firstTput = median(first.map((p) => p.throughput));
        const firstP50 = median(first.map((p) => p.latency.p50));
        const firstMain = median(first.map((p) => (1e6 * (p.serverMainCpuCores ?? 0)) / p.throughput));
        line += `\n      first server: ${fmt(firstTput)} req/s, p50 ${fmt(firstP50, 2)} ms, main thread ${fmt(firstMain)} µs per request; amaas/first throughput ${fmt(tput / firstTput, 2)}, p50 ${fmt(p50 / firstP50, 2)}`;
      }
      const ortBest = median(runs.map((r) => r.ort!.best.samplesPerSec));
      const samplesPerReq = BENCH_MODELS[o.model].input.dims[0];
      line += `\n      ceilings: echo ${fmt(echo)} calls/s, raw onnxruntime best ${fmt(ortBest)} samples/s (${runs[0].ort!.best.workers}x${runs[0].ort!.best.threads} threads, batch ${runs[0].ort!.best.batch}), raw batch-1 p50 ${fmt(median(runs.map((r) => r.ort!.batch1.p50Ms)), 3)} ms`;
      line += `\n      ratios: amaas/echo ${fmt(tput / echo, 2)}, amaas/onnxruntime ${fmt((tput * samplesPerReq) / ortBest, 2)}, amaas/lower ceiling ${fmt(tput / Math.min(echo, ortBest / samplesPerReq), 2)}`;
    }
    lines.push(line);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  const out = o.out ?? path.join(PACKAGE_ROOT, 'bench', 'results', `${o.protocol}-${o.model}-${o.mode}-batching-${o.batching ? 'on' : 'off'}-${Date.now()}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ command: `npm run bench -- ${process.argv.slice(2).join(' ')}`, machine: describeMachine(), options: o, runs }, null, 1));
  process.stdout.write(`results: ${path.relative(process.cwd(), out)}\n`);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  });
}
