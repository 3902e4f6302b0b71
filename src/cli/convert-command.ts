/**
 * `amaas convert IN OUT --fp16 [--keep-io-types]`: writes a float16 copy of an ONNX model (src/artifacts).
 * On CPU this saves space, not time; on CUDA float16 is a speed option. Failures exit 1.
 */
import { Command, Option } from 'commander';
import fs from 'node:fs';

interface ConvertFlags {
  fp16?: boolean;
  keepIoTypes?: boolean;
  keepOp?: string[];
  outOfRange: 'keep-fp32' | 'clamp';
}

async function convert(input: string, output: string, o: ConvertFlags): Promise<void> {
  if (!o.fp16) throw new Error('name the conversion: --fp16 (the only one so far)');
  const a = await import('../artifacts');
  const model = a.readModelFile(input);
  const report = a.convertToFp16(model, { keepIoTypes: o.keepIoTypes, keepOps: o.keepOp, outOfRange: o.outOfRange });
  const bytes = a.writeModelFile(output, model);
  const before = fs.statSync(input).size;
  process.stderr.write(
    `fp16: ${report.convertedInitializers} initializers converted (${report.clampedValues} values clamped to the float16 range), ` +
      `${report.keptFp32.length} nodes kept float32; ${before} -> ${bytes} bytes (x${(bytes / before).toFixed(3)}); ` +
      `inputs and outputs ${o.keepIoTypes ? 'stay float32' : 'become float16'}\n`,
  );
}

export function registerConvertCommand(program: Command): void {
  program
    .command('convert <in> <out>')
    .description('write a float16 copy of an ONNX model (saves space on CPU; a speed option on CUDA)')
    .option('--fp16', 'float initializers and float operators to float16, values clamped to its range')
    .option('--keep-io-types', 'keep float32 inputs and outputs (Casts at the boundary)')
    .option('--keep-op <op...>', 'more operator types to keep in float32')
    .addOption(
      new Option('--out-of-range <what>', 'nodes whose constants exceed ±65504: keep-fp32 keeps them in float32, clamp converts them clamped')
        .choices(['keep-fp32', 'clamp'])
        .default('keep-fp32'),
    )
    .action((input: string, output: string, o: ConvertFlags) =>
      convert(input, output, o).catch((err) => {
        process.stderr.write(`amaas convert: ${(err as Error).message}\n`);
        process.exit(1);
      }),
    );
}
