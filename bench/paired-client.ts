/**
 * node dist/bench/paired-client.js '{"targets":[{"label":"plain",...LoadSpec}, ...],"durationMs":3000,"maxRequests":100000}'
 *
 * All targets under load in the same seconds, so the machine's drift, which moves the p50 and throughput of
 * back-to-back slices by more than the differences layer-ab.ts looks for, falls on all of them alike.
 * concurrency 1: one caller, one call at a time, taking the targets in turn (A, B, C, A, B, C, ...).
 * concurrency N > 1: N closed-loop callers, caller k always calling target k mod T (N/T callers per target),
 * so a target that costs more per call completes fewer. Prints one JSON line: each label's latencies (ms),
 * errors and the elapsed time. Bounded by time and count.
 */
import { performance } from 'node:perf_hooks';
import { LoadSpec, rawClient, rawUnary, unaryTarget } from './load-client';

export interface PairedSpec {
  readonly targets: readonly (LoadSpec & { readonly label: string })[];
  readonly durationMs: number;
  readonly maxRequests: number;
  /** Calls in flight in all (default 1); above 1, a multiple of the number of targets. */
  readonly concurrency?: number;
}

export type PairedResult = Record<string, { latencies: number[]; errors: number; elapsedMs: number }>;

export async function runPaired(spec: PairedSpec): Promise<PairedResult> {
  const targets = spec.targets.map((t) => ({ label: t.label, client: rawClient(t), ...unaryTarget(t) }));
  const result: PairedResult = Object.fromEntries(targets.map((t) => [t.label, { latencies: [], errors: 0, elapsedMs: 0 }]));
  const begin = performance.now();
  const until = begin + spec.durationMs;
  const concurrency = spec.concurrency ?? 1;
  let issued = 0;
  const caller = async (k: number): Promise<void> => {
    while (issued < spec.maxRequests && performance.now() < until) {
      // One caller alternates between targets; several callers each keep to one.
      const t = targets[concurrency === 1 ? issued % targets.length : k % targets.length];
      issued++;
      const t0 = performance.now();
      try {
        await rawUnary(t.client, t.method, t.request, {});
        result[t.label].latencies.push(performance.now() - t0);
      } catch {
        result[t.label].errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, k) => caller(k)));
  const elapsedMs = performance.now() - begin;
  for (const t of targets) {
    result[t.label].elapsedMs = elapsedMs;
    t.client.close();
  }
  return result;
}

if (require.main === module) {
  runPaired(JSON.parse(process.argv[2]) as PairedSpec).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (err) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exit(1);
    },
  );
}
