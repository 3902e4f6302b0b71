/**
 * node dist/bench/security-ab.js [--model M] [--concurrency 1,64] [--slice S] [--rounds R] [--servers LIST] [--out FILE]
 *
 * What auth and TLS cost, measured so that this VM's drift cancels: three amaas servers run at once on
 * 127.0.0.1 with the same model (plain; API-key auth; TLS), and the load client drives them in turn, one slice
 * of S seconds each, for R rounds at each concurrency. Each round compares adjacent slices, so a slowdown of
 * the machine lasting longer than a round falls on all three alike. Reports, per configuration, the median over
 * rounds of throughput and p50, and the median of the per-round differences from the plain server. Only one
 * server is under load at a time; idle ones cost nothing but memory. Every loop is bounded by time and count.
 * --servers picks the servers (default plain,auth,tls); a kind may repeat (plain,plain,auth,tls: the second
 * plain server is labelled plain#2), which measures how far two identical server processes differ.
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../src/paths';
import { BENCH_MODELS } from './bench-models';
import type { LoadSpec } from './load-client';
import { LoadPoint, Options, describeMachine, drive, prepareRepository, prepareSecurity, waitForLine } from './run';
import { median } from './stats';

const CLI = path.join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'amaas.js');
const MAX_REQUESTS_PER_CLIENT = 2_000_000;
const WARMUP_MS = 3000;
type Kind = 'plain' | 'auth' | 'tls';
const KINDS: readonly Kind[] = ['plain', 'auth', 'tls'];

function arg(flag: string, fallback: string): string {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const modelName = arg('--model', 'mlp_small');
  const concurrency = arg('--concurrency', '1,64').split(',').map(Number);
  const sliceS = Number(arg('--slice', '3'));
  const rounds = Number(arg('--rounds', '8'));
  const model = BENCH_MODELS[modelName];
  // Each server's label: its kind, with #2, #3... for a kind named again. The first 'plain' is the reference.
  const kinds = arg('--servers', 'plain,auth,tls').split(',') as Kind[];
  if (!kinds.every((k) => KINDS.includes(k)) || kinds[0] !== 'plain') throw new Error('--servers: plain first, then any of plain, auth, tls');
  const CONFIGS = kinds.map((k, i) => (kinds.indexOf(k) === i ? k : `${k}#${kinds.slice(0, i + 1).filter((x) => x === k).length}`));
  const kindOf = (label: string) => label.split('#')[0] as Kind;
  const base = { model: model.name, input: { name: model.input.name, dims: [...model.input.dims] }, mode: 'unary' as const, maxRequests: MAX_REQUESTS_PER_CLIENT };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amaas-bench-ab-'));
  const servers: ChildProcess[] = [];
  const repos: string[] = [];
  const specs: Record<string, Omit<LoadSpec, 'concurrency'> & { pid: number }> = {};
  try {
    for (const c of CONFIGS) {
      const o = { batching: true, apiKey: kindOf(c) === 'auth' ? 'amaas_bench_ab_key_0123456789' : undefined, tls: kindOf(c) === 'tls' } as Options;
      const repo = await prepareRepository(model, o);
      repos.push(repo);
      const own = fs.mkdtempSync(path.join(dir, `${c.replace('#', '-')}-`));
      const security = prepareSecurity(o, own);
      const server = spawn(process.execPath, [CLI, 'serve', '--model-repository', repo, '--port', '0', ...security.configArgs], {
        env: { ...process.env, AMAAS_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      servers.push(server);
      const address = await waitForLine(server, /amaas serving on (\S+)/);
      specs[c] = { ...base, ...security.client, target: 'amaas', address, durationMs: sliceS * 1000, pid: server.pid! };
    }
    for (const c of CONFIGS) await drive({ ...specs[c], durationMs: WARMUP_MS }, Math.max(...concurrency), 1);

    const points: Record<string, Record<string, LoadPoint[]>> = {};
    for (const n of concurrency) {
      points[n] = Object.fromEntries(CONFIGS.map((c) => [c, []]));
      for (let r = 0; r < rounds; r++) {
        // Rotate the order each round, so no configuration always follows another.
        const order = CONFIGS.map((_, i) => CONFIGS[(i + r) % CONFIGS.length]);
        for (const c of order) points[n][c].push(await drive(specs[c], n, 1, specs[c].pid));
      }
    }

    const lines = [`security A/B: model ${modelName}, unary, servers ${CONFIGS.join(', ')}, ${rounds} rounds of ${sliceS} s slices each, rotated; medians over rounds`];
    lines.push(`machine: ${describeMachine()}`);
    for (const n of concurrency) {
      const p = points[n];
      const errors = CONFIGS.reduce((sum, c) => sum + p[c].reduce((k, pt) => k + Object.values(pt.errors).reduce((a, b) => a + b, 0), 0), 0);
      lines.push(`c=${n} (errors ${errors}):`);
      for (const c of CONFIGS) {
        const tput = median(p[c].map((pt) => pt.throughput));
        const p50us = median(p[c].map((pt) => pt.latency.p50 * 1000));
        const cpuUs = median(p[c].map((pt) => (1e6 * (pt.serverCpuCores ?? 0)) / pt.throughput));
        let line = `  ${c.padEnd(7)} ${tput.toFixed(0)} req/s, p50 ${p50us.toFixed(0)} µs, server CPU ${cpuUs.toFixed(0)} µs/req`;
        if (c !== 'plain') {
          const dP50 = median(p[c].map((pt, r) => (pt.latency.p50 - p.plain[r].latency.p50) * 1000));
          const ratio = median(p[c].map((pt, r) => pt.throughput / p.plain[r].throughput));
          const dCpu = median(p[c].map((pt, r) => (1e6 * (pt.serverCpuCores ?? 0)) / pt.throughput - (1e6 * (p.plain[r].serverCpuCores ?? 0)) / p.plain[r].throughput));
          line += `; vs plain in the same round: p50 ${dP50 >= 0 ? '+' : ''}${dP50.toFixed(0)} µs, throughput x${ratio.toFixed(3)}, server CPU ${dCpu >= 0 ? '+' : ''}${dCpu.toFixed(0)} µs/req`;
        }
        lines.push(line);
      }
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    const out = arg('--out', path.join(PACKAGE_ROOT, 'bench', 'results', `security-ab-${modelName}-${Date.now()}.json`));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify({ command: `node dist/bench/security-ab.js ${process.argv.slice(2).join(' ')}`, machine: describeMachine(), points }, null, 1));
    process.stdout.write(`results: ${path.relative(process.cwd(), out)}\n`);
  } finally {
    for (const s of servers) s.kill('SIGTERM');
    await Promise.all(servers.map((s) => new Promise((r) => (s.exitCode !== null ? r(null) : s.once('exit', r)))));
    for (const d of [dir, ...repos]) fs.rmSync(d, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
