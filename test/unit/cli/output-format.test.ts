import { Command } from 'commander';
import { formatResult, outputFormat, withFormatOptions } from '../../../src/cli/output-format';

describe('outputFormat', () => {
  it('is a table on a terminal and JSON otherwise', () => {
    expect(outputFormat({}, true)).toBe('table');
    expect(outputFormat({}, false)).toBe('json');
    expect(outputFormat({}, undefined)).toBe('json');
  });

  it('follows --json and --table whatever stdout is', () => {
    expect(outputFormat({ json: true }, true)).toBe('json');
    expect(outputFormat({ table: true }, false)).toBe('table');
    expect(outputFormat({ table: true }, undefined)).toBe('table');
  });
});

describe('formatResult', () => {
  const render = (v: { a: number }, o: { width?: number }) => `a=${v.a} width=${o.width}\n`;

  it('prints pretty JSON, as the commands did before tables', () => {
    expect(formatResult({ a: 1 }, 'json', render)).toBe('{\n  "a": 1\n}\n');
  });

  it('hands the width to the renderer for a table', () => {
    expect(formatResult({ a: 1 }, 'table', render, 100)).toBe('a=1 width=100\n');
  });
});

describe('withFormatOptions', () => {
  const parse = (args: string[]) => {
    const command = withFormatOptions(new Command('models')).exitOverride().configureOutput({ writeErr: () => undefined });
    command.parse(args, { from: 'user' });
    return command.opts();
  };

  it('adds --json and --table', () => {
    expect(parse(['--json'])).toEqual({ json: true });
    expect(parse(['--table'])).toEqual({ table: true });
    expect(parse([])).toEqual({});
  });

  it('refuses both at once', () => {
    expect(() => parse(['--json', '--table'])).toThrow(/cannot be used with/);
  });

  it('states the rule in --help', () => {
    let help = '';
    const command = withFormatOptions(new Command('models')).exitOverride().configureOutput({ writeOut: (s) => (help += s) });
    expect(() => command.parse(['--help'], { from: 'user' })).toThrow();
    expect(help).toContain('--table');
    expect(help).toContain('a table when stdout is a terminal; JSON');
  });
});
