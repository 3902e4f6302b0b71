#!/usr/bin/env node
import { CATALOG, MODEL_NAMES, hasModel } from './catalog';
import { EXAMPLE_MODELS, RepositoryEntry, TEST_MODELS, writeModelRepository } from './repository-writer';

// Plain argv parsing rather than commander: commander 15 is ESM-only, and
// jest (before Node 24.9) cannot require() ESM, so main() could not be tested.

const SETS: Readonly<Record<string, readonly RepositoryEntry[]>> = {
  examples: EXAMPLE_MODELS,
  test: TEST_MODELS,
  all: MODEL_NAMES.map((model) => ({ model })),
};

const USAGE = `usage: modelgen --out DIR [--set examples|test|all] [--model NAME ...]
       modelgen --list

  -o, --out DIR      model repository directory to write into
  -s, --set SET      model set (default: examples); ignored when --model is given
  -m, --model NAME   catalog model to write; repeatable
  -l, --list         list catalog models
  -h, --help         show this help
`;

export class UsageError extends Error {}

export interface CliOptions {
  out?: string;
  set?: string;
  models: string[];
  list: boolean;
  help: boolean;
}

export function parseArgs(args: readonly string[]): CliOptions {
  const opts: CliOptions = { models: [], list: false, help: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = args[++i];
      if (v === undefined || v.startsWith('-')) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '-o':
      case '--out':
        opts.out = value();
        break;
      case '-s':
      case '--set':
        opts.set = value();
        break;
      case '-m':
      case '--model':
        opts.models.push(value());
        break;
      case '-l':
      case '--list':
        opts.list = true;
        break;
      case '-h':
      case '--help':
        opts.help = true;
        break;
      default:
        throw new UsageError(`unexpected argument "${arg}"`);
    }
  }
  return opts;
}

/** Runs the CLI; `argv` is process.argv-shaped (node, script, ...args). */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  const opts = parseArgs(argv.slice(2));
  if (opts.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (opts.list) {
    for (const name of MODEL_NAMES) process.stdout.write(`${name}\t${CATALOG[name].description}\n`);
    return;
  }
  if (!opts.out) throw new UsageError('--out DIR is required');

  let entries: readonly RepositoryEntry[];
  if (opts.models.length > 0) {
    const unknown = opts.models.filter((m) => !hasModel(m));
    if (unknown.length > 0) throw new UsageError(`unknown model(s): ${unknown.join(', ')} (see --list)`);
    entries = opts.models.map((model) => ({ model }));
  } else {
    const setName = opts.set ?? 'examples';
    if (!Object.prototype.hasOwnProperty.call(SETS, setName)) {
      throw new UsageError(`unknown set "${setName}"; expected one of: ${Object.keys(SETS).join(', ')}`);
    }
    entries = SETS[setName];
  }

  const written = await writeModelRepository(opts.out, entries);
  for (const w of written) process.stdout.write(`${w.modelPath}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`modelgen: ${err instanceof Error ? err.message : String(err)}\n`);
    if (err instanceof UsageError) process.stderr.write(USAGE);
    process.exit(err instanceof UsageError ? 2 : 1);
  });
}
