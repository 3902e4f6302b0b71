/**
 * `amaas quantize IN OUT --mode dynamic-int8|static-int8`: writes an int8 copy of an ONNX model
 * (src/artifacts). A summary goes to stderr; usage errors exit 2, failures 1. The artifacts module (and with it
 * onnxruntime) loads only when the command runs, so `amaas serve` does not pay for it.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import fs from 'node:fs';

interface QuantizeFlags {
  mode: 'dynamic-int8' | 'static-int8';
  perChannel?: boolean;
  reduceRange: 'auto' | 'on' | 'off';
  exclude?: string[];
  calibration?: string;
  method: 'minmax' | 'percentile';
  percentile?: number;
}

function percent(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 50 || n > 100) throw new InvalidArgumentError('must be a number in (50, 100]');
  return n;
}

async function quantize(input: string, output: string, o: QuantizeFlags): Promise<void> {
  const a = await import('../artifacts');
  const reduceRange = a.resolveReduceRange(o.reduceRange);
  const model = a.readModelFile(input);
  let report;
  if (o.mode === 'dynamic-int8') {
    report = a.quantizeDynamic(model, { perChannel: o.perChannel, reduceRange, exclude: o.exclude });
  } else {
    if (!o.calibration) throw new Error('--mode static-int8 needs --calibration DIR (sample inputs in the warm-up JSON format)');
    const samples = a.readSamples(o.calibration, a.modelInputTypes(model));
    report = await a.quantizeStatic(model, { samples, method: o.method, percentile: o.percentile, reduceRange, exclude: o.exclude });
  }
  const bytes = a.writeModelFile(output, model);
  const before = fs.statSync(input).size;
  process.stderr.write(
    `${o.mode}: ${report.quantized.length} nodes quantized, ${report.skipped.length} left in float; ` +
      `${before} -> ${bytes} bytes (x${(bytes / before).toFixed(3)}); ${reduceRange ? '7-bit' : '8-bit'} weights (--reduce-range ${o.reduceRange})\n`,
  );
  for (const n of report.notes) process.stderr.write(`  note: ${n}\n`);
  for (const s of report.skipped) process.stderr.write(`  kept float: ${s.node}: ${s.reason}\n`);
}

export function registerQuantizeCommand(program: Command): void {
  program
    .command('quantize <in> <out>')
    .description('write an int8 copy of an ONNX model: dynamic (MatMul/Gemm/Gather weights) or static QDQ (calibrated on samples)')
    .addOption(new Option('--mode <mode>', 'dynamic-int8: weights int8, activations quantized at run time; static-int8: QDQ with calibrated activation ranges').choices(['dynamic-int8', 'static-int8']).makeOptionMandatory())
    .option('--per-channel', 'dynamic-int8: one scale per output column of each weight (static-int8 is always per channel)')
    .addOption(new Option('--reduce-range <when>', '7-bit weights: auto = on x86 CPUs without VNNI (from /proc/cpuinfo)').choices(['auto', 'on', 'off']).default('auto'))
    .option('--exclude <node...>', 'node names to keep in float')
    .option('--calibration <dir>', 'static-int8: folder of sample inputs (*.json, the warm-up sample format)')
    .addOption(new Option('--method <method>', 'static-int8 calibration').choices(['minmax', 'percentile']).default('minmax'))
    .option('--percentile <p>', 'percentile calibration: keep values between 100-p and p percent (default 99.999)', percent)
    .action((input: string, output: string, o: QuantizeFlags) =>
      quantize(input, output, o).catch((err) => {
        process.stderr.write(`amaas quantize: ${(err as Error).message}\n`);
        process.exit(1);
      }),
    );
}
