/**
 * `amaas compare ORIGINAL CANDIDATE --samples DIR [--gate sqnr=30,top1=0.99] [--json]`: accuracy and cost of a
 * candidate model against the original (src/artifacts/compare.ts). Exit 0 when the gate passes (or none is
 * given), 3 when it fails, 1 on errors.
 */
import { Command, InvalidArgumentError } from 'commander';

interface CompareFlags {
  samples: string;
  gate?: string;
  json?: boolean;
  maxBatch?: number;
  iterations: number;
  threads?: number;
}

/** Exit status when the comparison ran and the gate failed. */
export const GATE_FAILED_EXIT = 3;

function count(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
}

async function compare(original: string, candidate: string, o: CompareFlags): Promise<void> {
  const a = await import('../artifacts');
  const gate = a.parseGate(o.gate ?? '');
  const samples = a.readSamples(o.samples, a.modelInputTypes(a.readModelFile(original)));
  const result = await a.compareModels(original, candidate, { samples, maxBatch: o.maxBatch, iterations: o.iterations, threads: o.threads });
  const failures = a.gateFailures(gate, result.outputs);
  if (o.json) {
    // JSON has no Infinity: identical outputs give an SQNR of null with "identical": true.
    const outputs = result.outputs.map((x) => ({ ...x, sqnrDb: Number.isFinite(x.sqnrDb) ? x.sqnrDb : null, identical: x.sqnrDb === Infinity }));
    process.stdout.write(`${JSON.stringify({ ...result, outputs, gate: o.gate ?? null, passed: failures.length === 0, failures }, null, 2)}\n`);
  } else {
    process.stdout.write(`${a.formatCompare(result, failures, o.gate !== undefined)}\n`);
  }
  if (failures.length > 0) process.exitCode = GATE_FAILED_EXIT;
}

export function registerCompareCommand(program: Command): void {
  program
    .command('compare <original> <candidate>')
    .description('run two models on the same samples: SQNR, max abs error, relative L2, top-1 agreement; size, load time, latency and throughput ratios')
    .requiredOption('--samples <dir>', 'folder of sample inputs (*.json, the warm-up sample format)')
    .option('--gate <limits>', 'fail (exit 3) unless every output meets these, e.g. sqnr=30,top1=0.99,rel_l2=0.05')
    .option('--json', 'print the result as JSON')
    .option('--max-batch <n>', 'batch size of the second timing (default 8 when the batch dimension is dynamic; 0 skips it)', count)
    .option('--iterations <n>', 'timed runs per model and batch size; 0 skips timing', count, 20)
    .option('--threads <n>', 'onnxruntime intra-op threads for both models', count)
    .action((original: string, candidate: string, o: CompareFlags) =>
      compare(original, candidate, o).catch((err) => {
        process.stderr.write(`amaas compare: ${(err as Error).message}\n`);
        process.exit(1);
      }),
    );
}
