/**
 * First-request latency after a load, with and without warm-up, on mlp_large: loads the model (LoadModel),
 * times the first Predict, then the median of 200 more; several load/unload rounds per setting, each setting
 * in a fresh server process. Before anything is timed, 100 Predicts to the tiny `scale` model warm the request
 * path of the client and the server's main thread (a server that has served anything has it warm), so the
 * first request measures what a freshly loaded version costs. The acceptance bound: with warm-up,
 * first <= 2 x median.
 *
 *   npm run build && node dist/bench/lifecycle-warmup.js [--requests 200] [--rounds 3]
 */
import { AmaasClient } from '../src/client/amaas-client';
import { mlpLargeRepository, startChildServer } from './lifecycle-server';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const REQUESTS = arg('requests', 200);
const ROUNDS = arg('rounds', 5);

interface Round {
  loadMs: number;
  firstMs: number;
  medianMs: number;
}

async function measure(warmupRuns: number): Promise<Round[]> {
  const repo = await mlpLargeRepository({ warmup: { runs: warmupRuns } });
  const server = await startChildServer(repo, ['scale']);
  const client = new AmaasClient(server.address);
  const inputs = { x: { data: Float32Array.from({ length: 512 }, (_, i) => Math.sin(i)), dims: [1, 512] } };
  const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
  const rounds: Round[] = [];
  try {
    for (let i = 0; i < 100; i++) await client.predict('scale', { x: { data: new Float32Array(4), dims: [1, 4] } });
    for (let r = 0; r < ROUNDS; r++) {
      let t = process.hrtime.bigint();
      await client.loadModel('mlp_large');
      const loadMs = ms(t);
      t = process.hrtime.bigint();
      await client.predict('mlp_large', inputs);
      const firstMs = ms(t);
      const steady: number[] = [];
      for (let i = 0; i < REQUESTS; i++) {
        t = process.hrtime.bigint();
        await client.predict('mlp_large', inputs);
        steady.push(ms(t));
      }
      steady.sort((a, b) => a - b);
      rounds.push({ loadMs, firstMs, medianMs: steady[Math.floor(steady.length / 2)] });
      await client.unloadModel('mlp_large');
    }
  } finally {
    client.close();
    await server.stop();
  }
  return rounds;
}

async function main(): Promise<void> {
  const f = (n: number) => n.toFixed(2);
  for (const [label, runs] of [
    ['warm-up on (1 generated request per worker)', 1],
    ['warm-up off', 0],
  ] as const) {
    const rounds = await measure(runs);
    process.stdout.write(`${label}\n`);
    for (const [i, r] of rounds.entries()) {
      process.stdout.write(
        `  round ${i + 1}: load ${f(r.loadMs)} ms, first request ${f(r.firstMs)} ms, median of ${REQUESTS} ${f(r.medianMs)} ms, first/median ${f(r.firstMs / r.medianMs)}\n`,
      );
    }
    const ratios = rounds.map((r) => r.firstMs / r.medianMs).sort((a, b) => a - b);
    process.stdout.write(`  first/median: worst ${f(ratios[ratios.length - 1])}, median ${f(ratios[Math.floor(ratios.length / 2)])}\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
