/**
 * node dist/bench/batch-rows-gen.js --model scale --rows 1000000 --out rows.jsonl [--bad-every K]
 *
 * Writes a JSON Lines file for `amaas batch`: one `{"<input>": [[...]]}` request per line for a bench model
 * (bench-models.ts: its input name and row shape), values deterministic per line. --bad-every K makes every
 * K-th line bad (alternately not JSON and a wrong shape), to exercise error lines. Streams, so any row count
 * costs the same memory.
 */
import fs from 'node:fs';
import { once } from 'node:events';
import { BENCH_MODELS } from './bench-models';

export interface RowsFileSpec {
  readonly input: string;
  /** One row's shape, batch dimension first (1). */
  readonly dims: readonly number[];
  readonly rows: number;
  readonly badEvery?: number;
}

/** The values of line `line` (1-based): small, exact in FP32, different on every line. */
export function rowValues(line: number, elements: number): number[] {
  return Array.from({ length: elements }, (_, i) => (((line * 31 + i * 7) % 2001) - 1000) / 8);
}

function nest(values: number[], dims: readonly number[]): unknown {
  if (dims.length <= 1) return values;
  const inner = dims.slice(1).reduce((a, b) => a * b, 1);
  return Array.from({ length: dims[0] }, (_, i) => nest(values.slice(i * inner, (i + 1) * inner), dims.slice(1)));
}

export function rowLine(spec: RowsFileSpec, line: number): string {
  const elements = spec.dims.reduce((a, b) => a * b, 1);
  if (spec.badEvery && line % spec.badEvery === 0) {
    return (line / spec.badEvery) % 2 === 1 ? `{"${spec.input}": [[1, 2,` : JSON.stringify({ [spec.input]: [rowValues(line, elements + 1)] });
  }
  return JSON.stringify({ [spec.input]: nest(rowValues(line, elements), spec.dims) });
}

export async function writeRowsFile(file: string, spec: RowsFileSpec): Promise<void> {
  const out = fs.createWriteStream(file);
  let chunk = '';
  for (let line = 1; line <= spec.rows; line++) {
    chunk += `${rowLine(spec, line)}\n`;
    if (chunk.length >= 1 << 20 || line === spec.rows) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end();
  await once(out, 'finish');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const model = BENCH_MODELS[get('--model') ?? 'scale'];
  const out = get('--out');
  const rows = Number(get('--rows') ?? 1_000_000);
  if (!model || !out || !Number.isSafeInteger(rows) || rows < 1) throw new Error('usage: batch-rows-gen --model M --rows N --out FILE [--bad-every K]');
  const badEvery = get('--bad-every') ? Number(get('--bad-every')) : undefined;
  await writeRowsFile(out, { input: model.input.name, dims: model.input.dims, rows, badEvery });
  process.stdout.write(`${rows} rows for ${model.name} in ${out}\n`);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  });
}
