/**
 * Memory comes back after unloading: 50 LoadModel/UnloadModel cycles of mlp_large (25 MB) against a server
 * child process, reading its VmRSS from /proc after every cycle. The acceptance bound: RSS at the end within
 * 10% of RSS after the first cycle.
 *
 * Two passes. glibc's malloc raises its mmap threshold each time it frees a large mmapped block (up to 32 MiB),
 * after which a model's weight buffers come from malloc arenas that may keep the pages when freed: RSS then
 * jumps by about a model's size at random cycles (and drops again later) although nothing leaks. Pinning the
 * threshold (MALLOC_MMAP_THRESHOLD_=131072, glibc's own starting value) keeps large buffers mmapped, so they
 * go back to the system on free. The second pass shows that; see the README's note on memory.
 *
 *   npm run build && node dist/bench/lifecycle-rss.js [--cycles 50]
 */
import { AmaasClient } from '../src/client/amaas-client';
import { mlpLargeRepository, startChildServer } from './lifecycle-server';
import { rssMiB } from './stats';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const f = (n: number) => n.toFixed(1);

async function cycles(label: string, count: number, env: NodeJS.ProcessEnv): Promise<void> {
  const server = await startChildServer(await mlpLargeRepository({}), [], env);
  const pid = server.child.pid!;
  const client = new AmaasClient(server.address);
  const inputs = { x: { data: new Float32Array(512).fill(0.5), dims: [1, 512] } };
  try {
    await client.listModels();
    const idle = rssMiB(pid);
    let loadedPeak = 0;
    const after: number[] = [];
    for (let c = 1; c <= count; c++) {
      await client.loadModel('mlp_large');
      await client.predict('mlp_large', inputs);
      loadedPeak = Math.max(loadedPeak, rssMiB(pid));
      await client.unloadModel('mlp_large');
      after.push(rssMiB(pid));
    }
    const first = after[0];
    const last = after[after.length - 1];
    process.stdout.write(`${label}\n  RSS after each unload (MiB): ${after.map(f).join(' ')}\n`);
    process.stdout.write(
      `  idle before loading ${f(idle)} MiB; peak while loaded ${f(loadedPeak)} MiB; after cycle 1 ${f(first)} MiB; ` +
        `max after unload ${f(Math.max(...after))} MiB; after cycle ${count} ${f(last)} MiB; ` +
        `change ${f(((last - first) / first) * 100)}% (bound: within 10%)\n`,
    );
  } finally {
    client.close();
    await server.stop();
  }
}

async function main(): Promise<void> {
  const count = arg('cycles', 50);
  await cycles('glibc malloc defaults', count, {});
  await cycles('MALLOC_MMAP_THRESHOLD_=131072', count, { MALLOC_MMAP_THRESHOLD_: '131072' });
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
