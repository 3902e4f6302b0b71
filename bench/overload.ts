/**
 * node dist/bench/overload.js [--model heavy_fixed] [--steady S] [--overload S] [--factor F] [--clients K]
 *                             [--client-nice N] [--config JSON]
 *
 * Overload behaviour: measures the server's capacity with a closed loop (2 processes x 32 calls) and its RSS
 * under that steady load, then offers F x that capacity as an open loop (calls with a 1 s deadline) for S
 * seconds from K client processes, while a health probe calls grpc.health.v1.Health/Check every 100 ms.
 * Reports: calls started, answered by outcome, never answered (must be 0), server RSS peak against the steady
 * peak, and the health probe's latency. Loopback only; every loop is bounded in time.
 *
 * The default model, heavy_fixed, is unbatchable and compute-heavy, so its 10 x fits what client processes on
 * the same 2 cores can offer. `--client-nice` runs the load clients at that OS priority (the probe and the
 * server stay at 0), which stands in for callers on other machines; `--config` merges settings into the
 * model's config.json (e.g. '{"worker_nice":0}'). AMAAS_BENCH_SERVER_FLAGS passes node flags to the server (--cpu-prof).
 */
import * as grpc from '@grpc/grpc-js';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { healthService } from '../src/api/protos';
import { PACKAGE_ROOT } from '../src/paths';
import { arg, runMain, stopServer, waitForAddress } from './bench-process';
import { BENCH_MODELS } from './bench-models';
import type { LoadResult, LoadSpec } from './load-client';
import { sampleRss, summarize } from './stats';

const execFileP = promisify(execFile);
const CLI = path.join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'amaas.js');
const LOAD_CLIENT = path.join(PACKAGE_ROOT, 'dist', 'bench', 'load-client.js');



/** Runs `clients` load-client processes at OS priority `nice` and collects their results. */
async function load(spec: LoadSpec, clients: number, nice: number): Promise<LoadResult[]> {
  return Promise.all(
    Array.from({ length: clients }, async () => {
      const child = execFileP(process.execPath, [LOAD_CLIENT, JSON.stringify(spec)], { maxBuffer: 1024 * 1024 * 1024 });
      if (nice > 0) os.setPriority(child.child.pid!, nice);
      const { stdout } = await child;
      return JSON.parse(stdout) as LoadResult;
    }),
  );
}

/** Calls Health/Check every `everyMs` until stopped; returns each call's latency (ms) and failures. */
function probeHealth(address: string, everyMs: number): { stop(): Promise<{ latencies: number[]; failures: number }> } {
  const Health = healthService();
  const client = new Health(address, grpc.credentials.createInsecure()) as any;
  const latencies: number[] = [];
  let failures = 0;
  let inFlight: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    inFlight = new Promise((resolve) => {
      const t0 = performance.now();
      client.Check({ service: '' }, { deadline: Date.now() + 5000 }, (err: grpc.ServiceError | null) => {
        if (err) failures++;
        else latencies.push(performance.now() - t0);
        resolve();
      });
    });
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
      client.close();
      return { latencies, failures };
    },
  };
}

async function main(): Promise<void> {
  const modelName = arg('--model', 'heavy_fixed');
  const steadyS = Number(arg('--steady', '15'));
  const overloadS = Number(arg('--overload', '60'));
  const factor = Number(arg('--factor', '10'));
  const clients = Number(arg('--clients', '2'));
  const clientNice = Number(arg('--client-nice', '0'));
  const configOverride = JSON.parse(arg('--config', '{}')) as Record<string, unknown>;
  const model = BENCH_MODELS[modelName];
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'amaas-overload-'));
  await model.write(repo);
  fs.writeFileSync(path.join(repo, model.name, 'config.json'), JSON.stringify({ ...model.config, ...configOverride }));
  const server = spawn(process.execPath, [...(process.env.AMAAS_BENCH_SERVER_FLAGS ?? '').split(' ').filter(Boolean), CLI, 'serve', '--model-repository', repo, '--port', '0'], {
    env: { ...process.env, AMAAS_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const address = await waitForAddress(server);
    const base = { target: 'amaas' as const, address, mode: 'unary' as const, model: model.name, input: { name: model.input.name, dims: [...model.input.dims] }, maxRequests: 10_000_000 };

    const steadyRss = sampleRss(server.pid!);
    const steady = await load({ ...base, concurrency: 32, durationMs: steadyS * 1000 }, 2, clientNice);
    const steadyMem = steadyRss.stop();
    const capacity = steady.reduce((n, r) => n + r.completed, 0) / (Math.max(...steady.map((r) => r.elapsedMs)) / 1000);

    const rate = (capacity * factor) / clients;
    const health = probeHealth(address, 100);
    const overloadRss = sampleRss(server.pid!);
    const t0 = performance.now();
    const over = await load({ ...base, concurrency: 20_000, durationMs: overloadS * 1000, rate, deadlineMs: 1000 }, clients, clientNice);
    const wallS = (performance.now() - t0) / 1000;
    const overMem = overloadRss.stop();
    const probe = await health.stop();

    const started = over.reduce((n, r) => n + (r.started ?? 0), 0);
    const ok = over.reduce((n, r) => n + r.completed, 0);
    const errors: Record<string, number> = {};
    for (const r of over) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
    const answered = ok + Object.values(errors).reduce((a, b) => a + b, 0);
    const unanswered = over.reduce((n, r) => n + (r.unanswered ?? 0), 0);
    const hs = summarize(probe.latencies);
    const report = {
      command: `node dist/bench/overload.js ${process.argv.slice(2).join(' ')}`.trim(),
      model: model.name,
      clientNice,
      config: { ...model.config, ...configOverride },
      capacityPerSec: Math.round(capacity),
      steadyRssPeakMiB: Math.round(steadyMem.peak),
      offeredPerSec: Math.round(started / overloadS),
      targetOfferedPerSec: Math.round(capacity * factor),
      started,
      ok,
      errors,
      errorSamples: Object.assign({}, ...over.map((r) => r.samples ?? {})),
      answered,
      unanswered,
      okPerSecDuringOverload: Math.round(ok / wallS),
      overloadRssPeakMiB: Math.round(overMem.peak),
      rssRatio: Number((overMem.peak / steadyMem.peak).toFixed(2)),
      health: { checks: hs.count, failures: probe.failures, p50Ms: Number(hs.p50.toFixed(2)), p99Ms: Number(hs.p99.toFixed(2)), maxMs: Number(hs.max.toFixed(2)) },
    };
    process.stdout.write(`${JSON.stringify(report, null, 1)}\n`);
  } finally {
    await stopServer(server, repo);
  }
}

runMain(main);
