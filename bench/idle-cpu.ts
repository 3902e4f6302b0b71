/**
 * node dist/bench/idle-cpu.js [--model mlp_large] [--seconds 30] [--spin-us S] [--out FILE]
 *
 * What an idle server costs (issue 16: under 1 % of a core over 30 s): the server starts on one bench model,
 * and once it serves, its CPU (all threads, by thread) is read over `seconds` with no traffic. Then a short
 * burst of calls (2 s at one call in flight) ends, and the same is read again: a worker that spins after a task
 * (worker_spin_us) must stop spinning once the traffic stops. Loopback only, bounded in time.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../src/paths';
import { arg, runMain, stopServer, waitForAddress } from './bench-process';
import { BENCH_MODELS } from './bench-models';
import { drive, prepareRepository } from './run';
import { ThreadCpu, cpuSeconds, threadCpuSeconds } from './stats';

const CLI = path.join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'amaas.js');

interface IdleWindow {
  readonly label: string;
  readonly seconds: number;
  /** Cores used on average over the window: CPU seconds / wall seconds. */
  readonly cores: number;
  readonly byThread: ThreadCpu;
}

async function idleWindow(pid: number, label: string, seconds: number): Promise<IdleWindow> {
  const cpu0 = cpuSeconds(pid);
  const threads0 = threadCpuSeconds(pid);
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const wall = (Date.now() - t0) / 1000;
  const threads1 = threadCpuSeconds(pid);
  const byThread = { main: 0, worker: 0, onnxruntime: 0, other: 0 };
  for (const k of Object.keys(byThread) as (keyof ThreadCpu)[]) byThread[k] = (threads1[k] - threads0[k]) / wall;
  return { label, seconds: wall, cores: (cpuSeconds(pid) - cpu0) / wall, byThread };
}

async function main(): Promise<void> {
  const modelName = arg('--model', 'mlp_large');
  const seconds = Number(arg('--seconds', '30'));
  const spin = arg('--spin-us', '');
  const out = arg('--out', '');
  const model = BENCH_MODELS[modelName];
  if (!model) throw new Error(`unknown --model ${modelName}`);
  if (!(seconds > 0 && seconds <= 300)) throw new Error('--seconds must be in (0, 300]');
  const repo = await prepareRepository(model, { batching: true, spinUs: spin === '' ? undefined : Number(spin) });
  const server = spawn(process.execPath, [CLI, 'serve', '--model-repository', repo, '--port', '0'], {
    env: { ...process.env, AMAAS_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const address = await waitForAddress(server);
    // The warm-up of loading is over once it serves; a moment more for timers set at start to settle.
    await new Promise((r) => setTimeout(r, 2000));
    const windows: IdleWindow[] = [await idleWindow(server.pid!, 'idle after start', seconds)];
    const spec = { target: 'amaas' as const, address, mode: 'unary' as const, model: model.name, input: { name: model.input.name, dims: [...model.input.dims] }, durationMs: 2000, maxRequests: 100_000 };
    const burst = await drive(spec, 1, 1);
    windows.push(await idleWindow(server.pid!, `idle after a burst of ${Math.round(burst.throughput * 2)} calls`, seconds));
    for (const w of windows) {
      const t = w.byThread;
      process.stdout.write(
        `${w.label}: ${(w.cores * 100).toFixed(2)} % of a core over ${w.seconds.toFixed(1)} s ` +
          `(gRPC thread ${(t.main * 100).toFixed(2)} %, workers ${(t.worker * 100).toFixed(2)} %, onnxruntime ${(t.onnxruntime * 100).toFixed(2)} %, other ${(t.other * 100).toFixed(2)} %)\n`,
      );
    }
    if (out) fs.writeFileSync(out, JSON.stringify({ command: `node dist/bench/idle-cpu.js ${process.argv.slice(2).join(' ')}`, model: model.name, spinUs: spin === '' ? 'default' : Number(spin), windows }, null, 1));
  } finally {
    await stopServer(server, repo);
  }
}

runMain(main);
