/**
 * Memory comes back after unloading: 50 LoadModel/UnloadModel cycles of mlp_large (25 MB) against a server
 * child process, reading its VmRSS from /proc after every cycle. The acceptance bound: RSS at the end within
 * 10% of RSS after the first cycle.
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

async function main(): Promise<void> {
  const cycles = arg('cycles', 50);
  const server = await startChildServer(await mlpLargeRepository({}));
  const pid = server.child.pid!;
  const client = new AmaasClient(server.address);
  const inputs = { x: { data: new Float32Array(512).fill(0.5), dims: [1, 512] } };
  const f = (n: number) => n.toFixed(1);
  try {
    await client.listModels();
    const idle = rssMiB(pid);
    let loadedPeak = 0;
    const after: number[] = [];
    for (let c = 1; c <= cycles; c++) {
      await client.loadModel('mlp_large');
      await client.predict('mlp_large', inputs);
      loadedPeak = Math.max(loadedPeak, rssMiB(pid));
      await client.unloadModel('mlp_large');
      after.push(rssMiB(pid));
      if (c === 1 || c % 10 === 0) process.stdout.write(`cycle ${c}: RSS after unload ${f(after[c - 1])} MiB\n`);
    }
    const first = after[0];
    const last = after[after.length - 1];
    process.stdout.write(
      `idle before loading ${f(idle)} MiB; peak while loaded ${f(loadedPeak)} MiB; after cycle 1 ${f(first)} MiB; ` +
        `after cycle ${cycles} ${f(last)} MiB; change ${f(((last - first) / first) * 100)}% (bound: within 10%)\n`,
    );
  } finally {
    client.close();
    await server.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
