/**
 * `amaas compare`: runs an original and a candidate model on the same samples and reports accuracy per output
 * (compare-metrics.ts) and cost: file size, session load time, latency and throughput at batch 1 and at the
 * largest batch, each as the candidate's ratio to the original. Timed runs alternate between the two models,
 * so drift on a busy machine hits both alike; the figures are medians.
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { AccuracyAccumulator, OutputAccuracy } from './compare-metrics';
import { Sample, feedsFor, firstItem, repeatBatch, tensorNumbers } from './samples';

export interface CompareOptions {
  readonly samples: readonly Sample[];
  /** Batch size of the second timing; 0 or 1 leaves it out. Default: 8 when the first input's batch is dynamic. */
  readonly maxBatch?: number;
  /** Timed runs per model and batch size (default 20); 0 skips every timing. */
  readonly iterations?: number;
  /** onnxruntime intra-op threads (default: onnxruntime's). */
  readonly threads?: number;
}

export interface Timing {
  readonly batch: number;
  readonly originalMs: number;
  readonly candidateMs: number;
  /** candidate / original latency. */
  readonly latencyRatio: number;
  /** candidate / original throughput (items per second). */
  readonly throughputRatio: number;
}

export interface CompareResult {
  readonly samples: number;
  readonly outputs: OutputAccuracy[];
  readonly size: { readonly originalBytes: number; readonly candidateBytes: number; readonly ratio: number };
  readonly load: { readonly originalMs: number; readonly candidateMs: number; readonly ratio: number } | null;
  readonly timings: Timing[];
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function timed<T>(f: () => Promise<T>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

export async function compareModels(originalPath: string, candidatePath: string, options: CompareOptions): Promise<CompareResult> {
  if (options.samples.length === 0) throw new Error('compare needs at least one sample');
  const sessionOptions: ort.InferenceSession.SessionOptions = options.threads ? { intraOpNumThreads: options.threads } : {};
  const original = await ort.InferenceSession.create(originalPath, sessionOptions);
  const candidate = await ort.InferenceSession.create(candidatePath, sessionOptions);
  try {
    const missing = original.outputNames.filter((n) => !candidate.outputNames.includes(n));
    if (missing.length > 0) throw new Error(`the candidate has no output ${missing.map((m) => `'${m}'`).join(', ')}`);
    // String and other non-numeric outputs have no error to measure; they are left out.
    const numeric = new Set(original.outputMetadata.filter((m) => m.isTensor && m.type !== 'string').map((m) => m.name));
    const acc = original.outputNames.filter((n) => numeric.has(n)).map((n) => new AccuracyAccumulator(n));
    for (const s of options.samples) {
      const ref = await original.run(feedsFor(original, s.feeds));
      const cand = await candidate.run(feedsFor(candidate, s.feeds));
      acc.forEach((a) => a.add(tensorNumbers(ref[a.name]), tensorNumbers(cand[a.name]), ref[a.name].dims as number[]));
    }
    const originalBytes = fs.statSync(originalPath).size;
    const candidateBytes = fs.statSync(candidatePath).size;
    const iterations = options.iterations ?? 20;
    const result: CompareResult = {
      samples: options.samples.length,
      outputs: acc.map((a) => a.result()),
      size: { originalBytes, candidateBytes, ratio: candidateBytes / originalBytes },
      load: iterations > 0 ? await loadTimes(originalPath, candidatePath, sessionOptions) : null,
      timings: [],
    };
    if (iterations > 0) {
      const feeds = firstItem(options.samples[0].feeds);
      result.timings.push(await timeBatch(original, candidate, feeds, 1, iterations));
      const firstDim = original.inputMetadata[0]?.isTensor ? original.inputMetadata[0].shape[0] : 1;
      const maxBatch = options.maxBatch ?? (typeof firstDim === 'number' && firstDim > 0 ? 1 : 8);
      if (maxBatch > 1) result.timings.push(await timeBatch(original, candidate, repeatBatch(feeds, maxBatch), maxBatch, iterations));
    }
    return result;
  } finally {
    await original.release();
    await candidate.release();
  }
}

/** Median of three session creations each, alternating. */
async function loadTimes(a: string, b: string, so: ort.InferenceSession.SessionOptions): Promise<CompareResult['load']> {
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < 3; i++) {
    for (const [file, into] of [[a, ta], [b, tb]] as const) {
      let s: ort.InferenceSession | undefined;
      into.push(await timed(async () => (s = await ort.InferenceSession.create(file, so))));
      await s?.release();
    }
  }
  const originalMs = median(ta);
  const candidateMs = median(tb);
  return { originalMs, candidateMs, ratio: candidateMs / originalMs };
}

async function timeBatch(a: ort.InferenceSession, b: ort.InferenceSession, feeds: Record<string, ort.Tensor>, batch: number, iterations: number): Promise<Timing> {
  const fa = feedsFor(a, feeds);
  const fb = feedsFor(b, feeds);
  // Warm-up: the first runs pay for allocation and kernel selection.
  for (let i = 0; i < 2; i++) {
    await a.run(fa);
    await b.run(fb);
  }
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < iterations; i++) {
    ta.push(await timed(() => a.run(fa)));
    tb.push(await timed(() => b.run(fb)));
  }
  const originalMs = median(ta);
  const candidateMs = median(tb);
  return { batch, originalMs, candidateMs, latencyRatio: candidateMs / originalMs, throughputRatio: originalMs / candidateMs };
}

function fixed(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : String(v);
}

/** The result as a plain-text report. */
export function formatCompare(r: CompareResult, failures: readonly string[], gated = true): string {
  const lines = [`samples: ${r.samples}`, 'output                 SQNR dB   max abs err   rel L2     top-1'];
  for (const o of r.outputs) {
    const top1 = o.top1Agreement === null ? '-' : fixed(o.top1Agreement, 4);
    lines.push(`${o.name.padEnd(22)} ${fixed(o.sqnrDb, 2).padStart(8)}   ${o.maxAbsError.toExponential(3).padStart(11)}   ${fixed(o.relativeL2, 5).padStart(8)}   ${top1.padStart(6)}`);
  }
  lines.push(`size: ${r.size.originalBytes} -> ${r.size.candidateBytes} bytes (x${fixed(r.size.ratio, 3)})`);
  if (r.load) lines.push(`session load: ${fixed(r.load.originalMs, 1)} -> ${fixed(r.load.candidateMs, 1)} ms (x${fixed(r.load.ratio, 3)})`);
  for (const t of r.timings) {
    lines.push(
      `batch ${t.batch}: latency ${fixed(t.originalMs, 3)} -> ${fixed(t.candidateMs, 3)} ms (x${fixed(t.latencyRatio, 3)}), throughput x${fixed(t.throughputRatio, 3)}`,
    );
  }
  lines.push(!gated ? 'gate: none given' : failures.length === 0 ? 'gate: pass' : `gate: FAIL\n  ${failures.join('\n  ')}`);
  return lines.join('\n');
}
