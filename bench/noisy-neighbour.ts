/**
 * node dist/bench/noisy-neighbour.js [--model mlp_large] [--rows 64] [--seconds 20] [--capacity-seconds 10]
 *                                    [--factor 5] [--share 0.1] [--deadline-a 1000] [--deadline-b 500]
 *                                    [--fairness on|off] [--client-nice N] [--client-nice-a N] [--client-nice-b N]
 *                                    [--config JSON] [--server-config JSON]
 *                                    [--server-cpus LIST --client-cpus LIST] [--separate-pools [--config-b JSON]]
 *
 * Two tenants share one model version (issue 11's acceptance). Tenant A, from its own client process, offers
 * `factor` x the model's capacity; tenant B, from another, offers `share` x capacity with `deadline-b` ms
 * deadlines. First the capacity (A alone, closed loop), then B alone, then both at once, all open loops with a
 * fixed arrival rate. Reports B's OK count and p99 together and alone, A's goodput as a fraction of capacity,
 * and A's refusals (RESOURCE_EXHAUSTED): p50 time to the refusal and how many carried a grpc-retry-pushback-ms
 * hint, beside every status code counted.
 * `--fairness off` serves the same run with fair_scheduling: false (first come first served) to show the
 * difference. Auth is on: a tenants file with one key per tenant, written for the run. `--config` merges
 * settings into the model's config.json (e.g. '{"intra_op_threads":1}'), `--server-config` into the server's
 * config file (e.g. '{"deadline_margin_ms":50}').
 *
 * Loopback only; every phase is bounded in time. The clients share the server's cores unless `--client-nice`
 * lowers their priority (`--client-nice-a` / `--client-nice-b` set one tenant's client apart; below 0 needs
 * root: B's client raised above the server stands in for a caller on another machine that is never starved),
 * or `--server-cpus` and `--client-cpus` (taskset CPU lists, e.g. 0 and 1) pin the server and both clients to
 * separate cores: the stand-in, on one machine, for clients that run on other machines.
 * Pinned, the capacity and B's latency alone are measured under the same pinning, so the ratios compare like
 * with like.
 *
 * `--separate-pools` serves B from a copy of the model (its own version, queue and workers; `--config-b` is its
 * config.json, default the same as A's), so no request of A ever waits ahead of one of B's inside amaas: the
 * bound on what any scheduling between tenants of one version could give B. What is left of B's slowdown then
 * comes from sharing the process and the cores.
 */
import * as grpc from '@grpc/grpc-js';
import { execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { PACKAGE_ROOT } from '../src/paths';
import { arg, waitForAddress } from './bench-process';
import { BENCH_MODELS } from './bench-models';
import { LoadSpec, rawClient, rawUnary, unaryTarget } from './load-client';
import { summarize } from './stats';

const execFileP = promisify(execFile);
const CLI = path.join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'amaas.js');
const SELF = path.join(PACKAGE_ROOT, 'dist', 'bench', 'noisy-neighbour.js');


/** One client process's work: an open loop at `rate` calls per second (or a closed loop when rate is 0). */
interface ClientSpec extends LoadSpec {
  /** Closed loop when 0: `concurrency` callers back to back (the capacity phase). */
  readonly rate: number;
}

/** Every call's outcome: status code, ms to the answer, and whether a refusal carried a pushback hint. */
interface ClientResult {
  readonly calls: { code: number; ms: number; pushback: boolean }[];
  /** What the failures said: each distinct message (numbers written as #), its count and its first instance. */
  readonly messages: Record<string, { count: number; first: string }>;
  readonly elapsedMs: number;
  readonly unanswered: number;
}

/** At most this many distinct failure messages are kept per client, so a report stays readable. */
const MAX_MESSAGES = 20;

async function runClient(spec: ClientSpec): Promise<ClientResult> {
  const client = rawClient(spec);
  const { method, request } = unaryTarget(spec);
  const calls: ClientResult['calls'] = [];
  const messages: ClientResult['messages'] = {};
  const begin = performance.now();
  const until = begin + spec.durationMs;
  let outstanding = 0;
  const one = async (): Promise<void> => {
    outstanding++;
    const t0 = performance.now();
    try {
      await rawUnary(client, method, request, spec.deadlineMs ? { deadline: Date.now() + spec.deadlineMs } : {});
      calls.push({ code: grpc.status.OK, ms: performance.now() - t0, pushback: false });
    } catch (err) {
      const e = err as grpc.ServiceError;
      calls.push({ code: e.code, ms: performance.now() - t0, pushback: (e.metadata?.get('grpc-retry-pushback-ms') ?? []).length > 0 });
      // Numbers collapsed, so refusals that differ only in their figures count as one message.
      const first = `${grpc.status[e.code] ?? e.code}: ${String(e.details ?? '')}`;
      const message = first.replace(/\d+(\.\d+)?/g, '#');
      if (messages[message]) messages[message].count++;
      else if (Object.keys(messages).length < MAX_MESSAGES) messages[message] = { count: 1, first };
    } finally {
      outstanding--;
    }
  };
  const settled: Promise<void>[] = [];
  if (spec.rate === 0) {
    const caller = async () => {
      while (performance.now() < until) await one();
    };
    await Promise.all(Array.from({ length: spec.concurrency }, caller));
  } else {
    let started = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const now = performance.now();
        if (now >= until) {
          clearInterval(timer);
          resolve();
          return;
        }
        // Calls due by now at the rate, whenever this tick fires (a late tick catches up).
        const due = Math.floor(((now - begin) * spec.rate) / 1000) - started;
        for (let i = 0; i < due && outstanding < spec.concurrency; i++, started++) settled.push(one());
      }, 2);
    });
  }
  // Every call has a deadline; give them that long plus a margin, then count the rest as unanswered.
  await Promise.race([Promise.all(settled), new Promise((r) => setTimeout(r, (spec.deadlineMs ?? 10_000) + 5000))]);
  const elapsedMs = performance.now() - begin;
  client.close();
  return { calls, messages, elapsedMs, unanswered: outstanding };
}

/** `command args` as taskset runs it on `cpus` (a CPU list such as 0 or 1-3), or as it is when cpus is unset. */
function pinned(cpus: string | undefined, command: string, args: string[]): [string, string[]] {
  return cpus === undefined ? [command, args] : ['taskset', ['--cpu-list', cpus, command, ...args]];
}

/** Runs one client process (this file with --client) at OS priority `nice`, on `cpus` when set. */
async function clientProcess(spec: ClientSpec, nice: number, cpus?: string): Promise<ClientResult> {
  const [command, args] = pinned(cpus, process.execPath, [SELF, '--client', JSON.stringify(spec)]);
  const child = execFileP(command, args, { maxBuffer: 1024 * 1024 * 1024 });
  if (nice !== 0) os.setPriority(child.child.pid!, nice);
  const { stdout } = await child;
  return JSON.parse(stdout) as ClientResult;
}


const round = (n: number, digits = 1) => Number(n.toFixed(digits));

function codesOf(r: ClientResult): Record<string, number> {
  const codes: Record<string, number> = {};
  for (const c of r.calls) {
    const name = grpc.status[c.code] ?? String(c.code);
    codes[name] = (codes[name] ?? 0) + 1;
  }
  return codes;
}

/** A tenant's view of one phase: how many were answered OK, their latency, and every other code. */
function tenantReport(r: ClientResult) {
  const ok = r.calls.filter((c) => c.code === grpc.status.OK);
  // Refusals for load; a DEADLINE_EXCEEDED is a call admitted that then ran out of time, counted in codes.
  const refused = r.calls.filter((c) => c.code === grpc.status.RESOURCE_EXHAUSTED);
  const okMs = summarize(ok.map((c) => c.ms));
  const refusedMs = summarize(refused.map((c) => c.ms));
  return {
    calls: r.calls.length,
    ok: ok.length,
    okPerSec: round(ok.length / (r.elapsedMs / 1000)),
    okP50Ms: round(okMs.p50, 2),
    okP99Ms: round(okMs.p99, 2),
    codes: codesOf(r),
    refusalP50Ms: refused.length ? round(refusedMs.p50, 2) : null,
    refusalsWithPushback: refused.filter((c) => c.pushback).length,
    unanswered: r.unanswered,
    messages: r.messages,
  };
}

async function main(): Promise<void> {
  const modelName = arg('--model', 'mlp_large');
  const rows = Number(arg('--rows', '64'));
  const seconds = Number(arg('--seconds', '20'));
  const capacitySeconds = Number(arg('--capacity-seconds', '10'));
  const factor = Number(arg('--factor', '5'));
  const share = Number(arg('--share', '0.1'));
  const deadlineA = Number(arg('--deadline-a', '1000'));
  const deadlineB = Number(arg('--deadline-b', '500'));
  const fairness = arg('--fairness', 'on') !== 'off';
  const clientNice = Number(arg('--client-nice', '0'));
  const clientNiceA = Number(arg('--client-nice-a', String(clientNice)));
  const clientNiceB = Number(arg('--client-nice-b', String(clientNice)));
  const configOverride = JSON.parse(arg('--config', '{}')) as Record<string, unknown>;
  const serverConfigOverride = JSON.parse(arg('--server-config', '{}')) as Record<string, unknown>;
  const serverCpus = arg('--server-cpus', '') || undefined;
  const clientCpus = arg('--client-cpus', '') || undefined;
  if ((serverCpus === undefined) !== (clientCpus === undefined)) throw new Error('--server-cpus and --client-cpus go together');
  const separatePools = process.argv.includes('--separate-pools');
  const configB = separatePools ? (JSON.parse(arg('--config-b', 'null')) as Record<string, unknown> | null) : null;
  const model = BENCH_MODELS[modelName];
  if (!model) throw new Error(`unknown model ${modelName} (${Object.keys(BENCH_MODELS).join(', ')})`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amaas-noisy-'));
  const repo = path.join(dir, 'models');
  fs.mkdirSync(repo);
  await model.write(repo);
  const modelConfig = { ...model.config, ...configOverride, fair_scheduling: fairness };
  fs.writeFileSync(path.join(repo, model.name, 'config.json'), JSON.stringify(modelConfig));
  const modelB = separatePools ? `${model.name}_b` : model.name;
  const modelConfigB = configB ? { ...model.config, ...configB, fair_scheduling: fairness } : modelConfig;
  if (separatePools) {
    fs.cpSync(path.join(repo, model.name), path.join(repo, modelB), { recursive: true });
    fs.writeFileSync(path.join(repo, modelB, 'config.json'), JSON.stringify(modelConfigB));
  }
  // One key per tenant, equal weights: fairness gives each tenant an equal share of a contended version.
  const keys = { a: `amaas_bench_noisy_a_${crypto.randomBytes(8).toString('hex')}`, b: `amaas_bench_noisy_b_${crypto.randomBytes(8).toString('hex')}` };
  const sha = (k: string) => crypto.createHash('sha256').update(k, 'utf8').digest('hex');
  const tenants = {
    tenants: {
      a: { keys: [{ id: 'a-1', sha256: sha(keys.a) }], models: ['*'], scopes: ['infer'] },
      b: { keys: [{ id: 'b-1', sha256: sha(keys.b) }], models: ['*'], scopes: ['infer'] },
    },
  };
  fs.writeFileSync(path.join(dir, 'tenants.json'), JSON.stringify(tenants));
  const serverConfig = { auth: { tenants_file: path.join(dir, 'tenants.json') }, shutdown_delay_ms: 0, ...serverConfigOverride };
  fs.writeFileSync(path.join(dir, 'server.json'), JSON.stringify(serverConfig));

  const [serverCommand, serverArgs] = pinned(serverCpus, process.execPath, [CLI, 'serve', '--model-repository', repo, '--port', '0', '--config', path.join(dir, 'server.json')]);
  const server = spawn(serverCommand, serverArgs, {
    env: { ...process.env, AMAAS_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const address = await waitForAddress(server);
    const base = {
      target: 'amaas' as const,
      address,
      mode: 'unary' as const,
      model: model.name,
      input: { name: model.input.name, dims: [rows, ...model.input.dims.slice(1)] },
      maxRequests: 10_000_000,
    };
    // Capacity: A alone, a closed loop deep enough to keep every worker and the batcher busy.
    const cap = await clientProcess({ ...base, apiKey: keys.a, rate: 0, concurrency: 16, durationMs: capacitySeconds * 1000 }, clientNiceA, clientCpus);
    const capacity = cap.calls.filter((c) => c.code === grpc.status.OK).length / (cap.elapsedMs / 1000);

    const specA: ClientSpec = { ...base, apiKey: keys.a, rate: capacity * factor, concurrency: 100_000, durationMs: seconds * 1000, deadlineMs: deadlineA };
    const specB: ClientSpec = { ...base, model: modelB, apiKey: keys.b, rate: capacity * share, concurrency: 100_000, durationMs: seconds * 1000, deadlineMs: deadlineB };
    const alone = await clientProcess(specB, clientNiceB, clientCpus);
    const [a, b] = await Promise.all([clientProcess(specA, clientNiceA, clientCpus), clientProcess(specB, clientNiceB, clientCpus)]);

    const bAlone = tenantReport(alone);
    const bTogether = tenantReport(b);
    const aTogether = tenantReport(a);
    const report = {
      command: `node dist/bench/noisy-neighbour.js ${process.argv.slice(2).join(' ')}`.trim(),
      model: model.name,
      requestDims: base.input.dims,
      fairScheduling: fairness,
      clientNice: { a: clientNiceA, b: clientNiceB },
      cpus: serverCpus === undefined ? null : { server: serverCpus, clients: clientCpus },
      config: modelConfig,
      serverConfig: serverConfigOverride,
      separatePools: separatePools ? { model: modelB, config: modelConfigB } : null,
      capacityPerSec: round(capacity),
      a: { offeredPerSec: round(specA.rate), deadlineMs: deadlineA, ...aTogether, goodputOfCapacity: round(aTogether.okPerSec / capacity, 3) },
      b: {
        offeredPerSec: round(specB.rate),
        deadlineMs: deadlineB,
        together: bTogether,
        alone: bAlone,
        p99RatioTogetherToAlone: bAlone.okP99Ms > 0 ? round(bTogether.okP99Ms / bAlone.okP99Ms, 2) : null,
      },
    };
    process.stdout.write(`${JSON.stringify(report, null, 1)}\n`);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--client') {
  runClient(JSON.parse(process.argv[3]) as ClientSpec).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (err) => {
      process.stderr.write(`noisy-neighbour client failed: ${(err as Error).stack}\n`);
      process.exit(1);
    },
  );
} else {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  });
}
