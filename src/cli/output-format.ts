/**
 * Which form the listing and model-control commands print: a table when stdout is a terminal, JSON (as the
 * API returns it) when it is not, so pipes and jq keep working; --json or --table forces one.
 */
import { Command, Option } from 'commander';
import { TableOptions } from './table';

export type OutputFormat = 'json' | 'table';

export interface FormatFlags {
  readonly json?: boolean;
  readonly table?: boolean;
}

export const FORMAT_HELP =
  '\nOutput: a table when stdout is a terminal; JSON (what the API returns) when it is not, so pipes and jq\n' +
  "keep working. --json or --table forces one. In tables a dynamic dimension shows as '?', a scalar's shape\n" +
  'as scalar, and DETAIL (why a version is unavailable, or its notes) is cut to fit; --json has it whole.\n';

export function outputFormat(flags: FormatFlags, isTTY: boolean | undefined): OutputFormat {
  if (flags.json) return 'json';
  if (flags.table) return 'table';
  return isTTY ? 'table' : 'json';
}

/** Adds --json and --table (which exclude each other) and the rule above to a command's --help. */
export function withFormatOptions(command: Command): Command {
  return command
    .addOption(new Option('--json', 'print JSON (the default when stdout is not a terminal)').conflicts('table'))
    .addOption(new Option('--table', 'print a table (the default on a terminal)'))
    .addHelpText('after', FORMAT_HELP);
}

/** The text to print for `value`: pretty JSON, or `render`ed for the terminal's width. */
export function formatResult<T>(value: T, format: OutputFormat, render: (value: T, options: TableOptions) => string, width?: number): string {
  return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : render(value, { width });
}

/** Writes `value` to stdout in the form the flags and the terminal pick. */
export function printResult<T>(value: T, flags: FormatFlags, render: (value: T, options: TableOptions) => string): void {
  const format = outputFormat(flags, process.stdout.isTTY);
  // A pseudo-terminal without a size reports 0 columns: then the width is unknown, not zero.
  const width = process.stdout.isTTY && process.stdout.columns > 0 ? process.stdout.columns : undefined;
  process.stdout.write(formatResult(value, format, render, width));
}
