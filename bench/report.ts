/**
 * node dist/bench/report.js RESULT.json... > section.md
 * Renders bench result files as Markdown (the exact command, the machine, medians per concurrency, ceilings
 * and ratios) and writes one SVG chart per file next to BENCHMARKS.md (bench/charts/<name>.svg).
 */
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../src/paths';
import { BENCH_MODELS } from './bench-models';
import { renderChart } from './chart';
import type { BenchRun, Options } from './run';
import { median } from './stats';

interface ResultFile {
  command: string;
  machine: string;
  options: Options;
  runs: BenchRun[];
}

const f = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

export function renderResult(file: string): string {
  const r = JSON.parse(fs.readFileSync(file, 'utf8')) as ResultFile;
  const o = r.options;
  const name = path.basename(file, '.json');
  const perReq = BENCH_MODELS[o.model].input.dims[0];
  const rows: string[] = ['| concurrency | req/s | p50 ms | p90 ms | p99 ms | max ms | errors | server CPU (cores) | server RSS peak (MiB) | echo calls/s | amaas / echo | amaas / onnxruntime |', '|---|---|---|---|---|---|---|---|---|---|---|---|'];
  const tput: Array<[number, number]> = [];
  const p99: Array<[number, number]> = [];
  const echoPts: Array<[number, number]> = [];
  o.concurrency.forEach((c, i) => {
    const pts = r.runs.map((run) => run.amaas[i]);
    const t = median(pts.map((p) => p.throughput));
    const echo = r.runs[0].echo.length ? median(r.runs.map((run) => run.echo[i].throughput)) : NaN;
    const ort = r.runs[0].ort ? median(r.runs.map((run) => run.ort!.best.samplesPerSec)) : NaN;
    const errors = pts.reduce((n, p) => n + Object.values(p.errors).reduce((a, b) => a + b, 0), 0);
    tput.push([c, t]);
    p99.push([c, median(pts.map((p) => p.latency.p99))]);
    if (!Number.isNaN(echo)) echoPts.push([c, echo]);
    rows.push(
      `| ${c} | ${f(t)} | ${f(median(pts.map((p) => p.latency.p50)), 2)} | ${f(median(pts.map((p) => p.latency.p90)), 2)} | ${f(median(pts.map((p) => p.latency.p99)), 2)} | ${f(median(pts.map((p) => p.latency.max)), 1)} | ${errors} | ${f(median(pts.map((p) => p.serverCpuCores ?? 0)), 2)} | ${f(median(pts.map((p) => p.serverRssPeakMiB ?? 0)))} | ${Number.isNaN(echo) ? '-' : f(echo)} | ${Number.isNaN(echo) ? '-' : f(t / echo, 2)} | ${Number.isNaN(ort) ? '-' : f((t * perReq) / ort, 2)} |`,
    );
  });
  const out: string[] = [];
  // A model's own bench config may turn batching off (max_batch_size 0) whatever the command line says.
  const batching = o.batching && BENCH_MODELS[o.model].config.max_batch_size !== 0;
  // Settings the command changed from the model's bench config, so two sections of one model read apart.
  const tuned = [
    o.instances !== undefined ? `${o.instances} instance(s)` : '',
    o.threads !== undefined ? `${o.threads} thread(s) each` : '',
    o.delayUs !== undefined ? `max_queue_delay ${o.delayUs} µs` : '',
    o.spinUs !== undefined ? `worker_spin_us ${o.spinUs}` : '',
  ].filter(Boolean);
  out.push(
    `### ${o.protocol === 'kserve' ? 'Open Inference Protocol ModelInfer (raw contents), ' : ''}${o.model}, ${o.mode}, batching ${batching ? 'on' : 'off'}${tuned.length ? `, ${tuned.join(', ')}` : ''}`,
  );
  out.push('');
  out.push(`Command: \`${r.command}\`  `);
  out.push(`Machine: ${r.machine}  `);
  out.push(`${r.runs.length} run(s), ${o.durationS} s per point, ${o.clients} client process(es); medians across runs.`);
  out.push('');
  out.push(...rows);
  if (r.runs[0].ort) {
    const ort = r.runs.map((run) => run.ort!);
    const best = ort[0].best;
    out.push('');
    out.push(
      `Raw onnxruntime-node on the same cores: best ${f(median(ort.map((x) => x.best.samplesPerSec)))} samples/s (${best.workers} session(s) x ${best.threads} thread(s), batch ${best.batch}); batch 1 in one session: ${f(median(ort.map((x) => x.batch1.samplesPerSec)))} samples/s, p50 ${f(median(ort.map((x) => x.batch1.p50Ms)), 3)} ms.`,
    );
  }
  if (o.concurrency.length > 1) {
    const svg = renderChart([
      { title: 'Throughput', yLabel: 'requests/s', series: [{ label: 'amaas', color: '#1f77b4', points: tput }, ...(echoPts.length ? [{ label: 'grpc-js echo (ceiling)', color: '#999', points: echoPts, dashed: true }] : [])] },
      { title: 'p99 latency', yLabel: 'ms', series: [{ label: 'amaas', color: '#d62728', points: p99 }] },
    ]);
    const chartDir = path.join(PACKAGE_ROOT, 'bench', 'charts');
    fs.mkdirSync(chartDir, { recursive: true });
    fs.writeFileSync(path.join(chartDir, `${name}.svg`), svg);
    out.push('');
    out.push(`![throughput and p99 latency versus concurrency](bench/charts/${name}.svg)`);
  }
  out.push('');
  return out.join('\n');
}

if (require.main === module) {
  process.stdout.write(process.argv.slice(2).map(renderResult).join('\n'));
}
