/**
 * node dist/bench/layer-ab.js [--model M] [--mode unary|stream] [--concurrency 1,64] [--slice S] [--rounds R]
 *                             [--servers LIST] [--one-process] [--paired 1,64] [--out FILE]
 *
 * What a layer on the request path costs (auth, TLS, metrics, tracing), measured so that this VM's drift
 * cancels: several amaas servers run at once on 127.0.0.1 with the same model, each with one layer on, and
 * the load client drives them in turn, one slice of S seconds each, for R rounds at each concurrency. Each
 * round compares adjacent slices, so a slowdown of the machine lasting longer than a round falls on all
 * alike. Reports, per configuration, the median over rounds of throughput, p50 and server CPU per call (the
 * whole process, and its main thread alone), and the median of the per-round differences from the plain
 * server. Only one server is under load at a time; idle ones cost nothing but memory. Every loop is bounded
 * by time and count.
 * --servers picks the servers (default plain,auth,tls), from: plain; auth (API keys, one key); tls; plainkey
 * (a plain server whose client sends the API key anyway: what the header alone costs); metrics
 * (metrics_port set); trace0 and trace1 (tracing to an OTLP/HTTP sink in this process, sampling ratio 0 and
 * 1); cache (the model with response_cache: every request of the load client is the same, so every call after
 * the first is a hit: the 100 % hit rate against the plain server's cache off); limits (the implicit tenant with
 * every limit configured, requests_per_second, burst, rows_per_second and max_concurrent, none of them ever
 * reached: what checking them costs, against plain, whose tenant has none). A kind may repeat (plain,plain,auth: the second plain server is labelled plain#2), which measures how
 * far two identical servers differ.
 * --one-process runs every server in one process (ab-host.ts) instead of one process each.
 * --paired 1,64 adds runs with every server under load at once (paired-client.ts), so the machine's drift
 * between slices cancels: at c=1 one caller takes the servers in turn; at c=N each server has N/T callers.
 * R rounds of S seconds per server each; unary only. `--concurrency none` skips the slices.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { inferenceService } from '../src/api/protos';
import { PACKAGE_ROOT } from '../src/paths';
import { BENCH_MODELS } from './bench-models';
import type { LoadSpec } from './load-client';
import { LoadPoint, Options, describeMachine, drive, prepareRepository, prepareSecurity, waitForLine } from './run';
import type { PairedResult, PairedSpec } from './paired-client';
import { median, summarize } from './stats';

const CLI = path.join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'amaas.js');
const HOST = path.join(PACKAGE_ROOT, 'dist', 'bench', 'ab-host.js');
const PAIRED = path.join(PACKAGE_ROOT, 'dist', 'bench', 'paired-client.js');
const execFileP = promisify(execFile);
const MAX_REQUESTS_PER_CLIENT = 2_000_000;
const WARMUP_MS = 3000;
type Kind = 'plain' | 'auth' | 'tls' | 'plainkey' | 'metrics' | 'trace0' | 'trace1' | 'cache' | 'limits';
const KINDS: readonly Kind[] = ['plain', 'auth', 'tls', 'plainkey', 'metrics', 'trace0', 'trace1', 'cache', 'limits'];
/** The limits kind's top-level limits: set, checked on every call, and far above any rate this machine reaches. */
const UNREACHED_LIMITS = { requests_per_second: 1e9, burst: 1e9, rows_per_second: 1e12, max_concurrent: 1e9 };
/** The cache kind's model setting: far more than the one answer it will hold. */
const CACHE_CONFIG = { response_cache: { max_bytes: '64MiB' } };
const BENCH_KEY = 'amaas_bench_ab_key_0123456789';

function arg(flag: string, fallback: string): string {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const modelName = arg('--model', 'mlp_small');
  // `none`: no slices (with --paired, the interleaved c=1 run alone).
  const concurrency = arg('--concurrency', '1,64') === 'none' ? [] : arg('--concurrency', '1,64').split(',').map(Number);
  const sliceS = Number(arg('--slice', '3'));
  const rounds = Number(arg('--rounds', '8'));
  const oneProcess = process.argv.includes('--one-process');
  const pairedConcurrency = process.argv.includes('--paired') ? arg('--paired', '1').split(',').map(Number) : [];
  const model = BENCH_MODELS[modelName];
  // Each server's label: its kind, with #2, #3... for a kind named again. The first 'plain' is the reference.
  const kinds = arg('--servers', 'plain,auth,tls').split(',') as Kind[];
  if (!kinds.every((k) => KINDS.includes(k)) || kinds[0] !== 'plain') throw new Error(`--servers: plain first, then any of ${KINDS.join(', ')}`);
  const CONFIGS = kinds.map((k, i) => (kinds.indexOf(k) === i ? k : `${k}#${kinds.slice(0, i + 1).filter((x) => x === k).length}`));
  const kindOf = (label: string) => label.split('#')[0] as Kind;
  const mode = arg('--mode', 'unary') as LoadSpec['mode'];
  if (mode !== 'unary' && mode !== 'stream') throw new Error('--mode: unary or stream');
  if (mode === 'stream' && pairedConcurrency.length > 0) throw new Error('--paired drives unary calls only');
  const base = { model: model.name, input: { name: model.input.name, dims: [...model.input.dims] }, mode, maxRequests: MAX_REQUESTS_PER_CLIENT };
  const sink = kinds.some((k) => k.startsWith('trace')) ? await startOtlpSink() : null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amaas-bench-ab-'));
  const servers: ChildProcess[] = [];
  const repos: string[] = [];
  const specs: Record<string, Omit<LoadSpec, 'concurrency'> & { pid: number }> = {};
  try {
    const prepared: { label: string; repo: string; configFile: string | null; client: Pick<LoadSpec, 'apiKey' | 'tlsCaFile'> }[] = [];
    for (const c of CONFIGS) {
      const o = { batching: true, apiKey: kindOf(c) === 'auth' ? BENCH_KEY : undefined, tls: kindOf(c) === 'tls' } as Options;
      const repo = await prepareRepository(model, o);
      repos.push(repo);
      if (kindOf(c) === 'cache') addToModelConfig(repo, model.name, CACHE_CONFIG);
      const own = fs.mkdtempSync(path.join(dir, `${c.replace('#', '-')}-`));
      const security = prepareSecurity(o, own);
      const layer = layerConfig(kindOf(c), sink?.url ?? '');
      let configFile = security.configArgs[1] ?? null;
      if (layer) {
        configFile = path.join(own, 'layer.json');
        fs.writeFileSync(configFile, JSON.stringify(layer));
      }
      prepared.push({ label: c, repo, configFile, client: kindOf(c) === 'plainkey' ? { apiKey: BENCH_KEY } : security.client });
    }
    const env = { ...process.env, AMAAS_LOG_LEVEL: 'warn' };
    if (oneProcess) {
      // All servers in one process (ab-host.ts): they share its main thread and JIT, so only their configs differ.
      const host = spawn(process.execPath, [HOST, JSON.stringify(prepared.map(({ label, repo, configFile }) => ({ label, repo, configFile })))], { env, stdio: ['ignore', 'pipe', 'inherit'] });
      servers.push(host);
      const lines = await waitForLine(host, new RegExp(`((?:ab-host \\S+ \\S+\\n){${CONFIGS.length}})`));
      for (const [label, address] of lines.trim().split('\n').map((l) => l.split(' ').slice(1))) {
        const p = prepared.find((x) => x.label === label)!;
        specs[label] = { ...base, ...p.client, target: 'amaas', address, durationMs: sliceS * 1000, pid: host.pid! };
      }
    } else {
      for (const p of prepared) {
        const args = [CLI, 'serve', '--model-repository', p.repo, '--port', '0', ...(p.configFile ? ['--config', p.configFile] : [])];
        const server = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
        servers.push(server);
        const address = await waitForLine(server, /amaas serving on (\S+)/);
        specs[p.label] = { ...base, ...p.client, target: 'amaas', address, durationMs: sliceS * 1000, pid: server.pid! };
      }
    }
    for (const c of CONFIGS) await drive({ ...specs[c], durationMs: WARMUP_MS }, Math.max(1, ...concurrency), 1);

    const points: Record<string, Record<string, LoadPoint[]>> = {};
    for (const n of concurrency) {
      points[n] = Object.fromEntries(CONFIGS.map((c) => [c, []]));
      for (let r = 0; r < rounds; r++) {
        // Rotate the order each round, so no configuration always follows another.
        const order = CONFIGS.map((_, i) => CONFIGS[(i + r) % CONFIGS.length]);
        for (const c of order) points[n][c].push(await drive(specs[c], n, 1, specs[c].pid));
      }
    }

    // --paired: every server under load at once in each round (paired-client.ts), at each concurrency listed.
    const paired: Record<string, PairedResult[]> = {};
    for (const n of pairedConcurrency) {
      paired[n] = [];
      for (let r = 0; r < rounds; r++) {
        const targets = CONFIGS.map((_, i) => CONFIGS[(i + r) % CONFIGS.length]).map((c) => ({ ...specs[c], concurrency: 1, label: c }));
        const spec: PairedSpec = { targets, durationMs: sliceS * 1000 * CONFIGS.length, maxRequests: MAX_REQUESTS_PER_CLIENT, concurrency: n };
        const { stdout } = await execFileP(process.execPath, [PAIRED, JSON.stringify(spec)], { maxBuffer: 512 * 1024 * 1024 });
        paired[n].push(JSON.parse(stdout) as PairedResult);
      }
    }

    const lines = [`layer A/B: model ${modelName}, ${mode}, servers ${CONFIGS.join(', ')}, ${rounds} rounds of ${sliceS} s slices each, rotated; medians over rounds`];
    lines.push(`machine: ${describeMachine()}`);
    for (const n of concurrency) {
      const p = points[n];
      const errors = CONFIGS.reduce((sum, c) => sum + p[c].reduce((k, pt) => k + Object.values(pt.errors).reduce((a, b) => a + b, 0), 0), 0);
      lines.push(`c=${n} (errors ${errors}):`);
      for (const c of CONFIGS) {
        const tput = median(p[c].map((pt) => pt.throughput));
        const p50us = median(p[c].map((pt) => pt.latency.p50 * 1000));
        const cpuUs = median(p[c].map((pt) => (1e6 * (pt.serverCpuCores ?? 0)) / pt.throughput));
        const mainUs = median(p[c].map((pt) => (1e6 * (pt.serverMainCpuCores ?? 0)) / pt.throughput));
        let line = `  ${c.padEnd(7)} ${tput.toFixed(0)} req/s, p50 ${p50us.toFixed(0)} µs, server CPU ${cpuUs.toFixed(0)} µs/req (main thread ${mainUs.toFixed(0)})`;
        if (c !== 'plain') {
          const dP50 = median(p[c].map((pt, r) => (pt.latency.p50 - p.plain[r].latency.p50) * 1000));
          const ratio = median(p[c].map((pt, r) => pt.throughput / p.plain[r].throughput));
          const perCall = (pt: LoadPoint, cores: number | undefined) => (1e6 * (cores ?? 0)) / pt.throughput;
          const dCpu = median(p[c].map((pt, r) => perCall(pt, pt.serverCpuCores) - perCall(p.plain[r], p.plain[r].serverCpuCores)));
          const dMain = median(p[c].map((pt, r) => perCall(pt, pt.serverMainCpuCores) - perCall(p.plain[r], p.plain[r].serverMainCpuCores)));
          line += `; vs plain in the same round: p50 ${dP50 >= 0 ? '+' : ''}${dP50.toFixed(0)} µs, throughput x${ratio.toFixed(3)}, server CPU ${dCpu >= 0 ? '+' : ''}${dCpu.toFixed(0)} µs/req (main thread ${dMain >= 0 ? '+' : ''}${dMain.toFixed(0)})`;
        }
        lines.push(line);
      }
    }
    for (const [n, runs] of Object.entries(paired)) {
      const errors = runs.reduce((k, round) => k + Object.values(round).reduce((e, t) => e + t.errors, 0), 0);
      const how = n === '1' ? 'one caller taking the servers in turn' : `${n} callers, ${Number(n) / CONFIGS.length} per server, all servers at once`;
      lines.push(`paired c=${n}, ${how} (errors ${errors}); per round, median over ${runs.length} rounds:`);
      const p50 = (round: PairedResult, c: string) => 1000 * summarize(round[c].latencies).p50;
      const rate = (round: PairedResult, c: string) => round[c].latencies.length / (round[c].elapsedMs / 1000);
      const signed = (x: number, digits = 0) => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
      for (const c of CONFIGS) {
        let line = `  ${c.padEnd(7)} ${median(runs.map((round) => rate(round, c))).toFixed(0)} req/s, p50 ${median(runs.map((round) => p50(round, c))).toFixed(0)} µs`;
        if (c !== 'plain') {
          const d = runs.map((round) => p50(round, c) - p50(round, 'plain'));
          const ratio = runs.map((round) => rate(round, c) / rate(round, 'plain'));
          line += `; vs plain in the same round: p50 ${signed(median(d))} µs, throughput x${median(ratio).toFixed(3)} (p50 by round: ${d.map((x) => x.toFixed(0)).join(' ')})`;
        }
        lines.push(line);
      }
    }
    // The cache servers' own statistics: the hit rate their figures were measured at.
    for (const c of CONFIGS.filter((x) => kindOf(x) === 'cache')) lines.push(`${c}: ${await cacheCounts(specs[c].address, model.name)}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    const out = arg('--out', path.join(PACKAGE_ROOT, 'bench', 'results', `layer-ab-${modelName}-${Date.now()}.json`));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify({ command: `node dist/bench/layer-ab.js ${process.argv.slice(2).join(' ')}`, machine: describeMachine(), points, paired }, null, 1));
    process.stdout.write(`results: ${path.relative(process.cwd(), out)}\n`);
  } finally {
    for (const s of servers) s.kill('SIGTERM');
    await Promise.all(servers.map((s) => new Promise((r) => (s.exitCode !== null ? r(null) : s.once('exit', r)))));
    sink?.close();
    for (const d of [dir, ...repos]) fs.rmSync(d, { recursive: true, force: true });
    if (sink) process.stdout.write(`OTLP sink: ${sink.posts()} export requests\n`);
  }
}

/** The server config of a layer that is not security's (prepareSecurity writes auth's and TLS's), or null. */
function layerConfig(kind: Kind, sinkUrl: string): Record<string, unknown> | null {
  if (kind === 'metrics') return { metrics_port: 0 };
  if (kind === 'limits') return { limits: UNREACHED_LIMITS };
  if (kind === 'trace0' || kind === 'trace1') return { tracing: { otlp_endpoint: sinkUrl, sampling_ratio: kind === 'trace0' ? 0 : 1 } };
  return null;
}

/** `N hits, M misses (hit rate X %)` from the server's ModelStatistics (Open Inference Protocol). */
async function cacheCounts(address: string, modelName: string): Promise<string> {
  const Client = inferenceService();
  const client = new Client(address, grpc.credentials.createInsecure()) as grpc.Client & Record<string, (...args: unknown[]) => void>;
  try {
    const res = await new Promise<{ model_stats: { inference_stats: Record<string, { count: string }> }[] }>((resolve, reject) =>
      client.ModelStatistics({ name: modelName }, (err: Error | null, r: never) => (err ? reject(err) : resolve(r))),
    );
    const stats = res.model_stats[0].inference_stats;
    const hits = Number(stats.cache_hit.count);
    const misses = Number(stats.cache_miss.count);
    return `${hits} hits, ${misses} misses (hit rate ${((100 * hits) / Math.max(1, hits + misses)).toFixed(3)} %)`;
  } finally {
    client.close();
  }
}

/** Merges `settings` into the model config prepareRepository wrote. */
function addToModelConfig(repo: string, modelName: string, settings: Record<string, unknown>): void {
  const file = path.join(repo, modelName, 'config.json');
  fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), ...settings }));
}

/** Where the tracing servers export: accepts OTLP/HTTP posts and answers 200 with an empty response, counting them. */
async function startOtlpSink(): Promise<{ url: string; posts: () => number; close: () => void }> {
  let posts = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      posts++;
      // An empty ExportTraceServiceResponse: no bytes in protobuf, `{}` in JSON.
      const json = String(req.headers['content-type'] ?? '').includes('json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, posts: () => posts, close: () => server.close() };
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
