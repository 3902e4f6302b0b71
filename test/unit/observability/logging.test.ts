/**
 * The logger behind createLogger: JSON lines with time, level, module and message plus the caller's fields;
 * the threshold (log_level) and AMAAS_TRACE's per-module debug; credentials redacted by field name; and the
 * terminal's text form. Each test builds its own LogHub writing into an array, so nothing depends on the
 * process's stderr.
 */
import { LogHub } from '../../../src/observability/logging';
import { textLine } from '../../../src/observability/log-text';

function hub(env: NodeJS.ProcessEnv = {}) {
  const lines: string[] = [];
  const h = new LogHub({ write: (line) => void lines.push(line) }, env);
  return { h, lines, parsed: () => lines.map((l) => JSON.parse(l)) };
}

it('writes one JSON object per line with time, level, module, msg and the fields', () => {
  const { h, lines, parsed } = hub();
  h.create('server').info('serving', { address: '127.0.0.1:1234', models: 3 });
  expect(lines).toHaveLength(1);
  expect(lines[0].endsWith('\n')).toBe(true);
  expect(lines[0].indexOf('\n')).toBe(lines[0].length - 1);
  const [line] = parsed();
  expect(line).toEqual({ time: expect.any(String), level: 'info', module: 'server', msg: 'serving', address: '127.0.0.1:1234', models: 3 });
  expect(new Date(line.time).toISOString()).toBe(line.time);
});

it('keeps a message with newlines and quotes on one line', () => {
  const { h, lines, parsed } = hub();
  h.create('api').error('internal error', { stack: 'Error: x\n    at a\n    at b', note: 'say "hi"' });
  expect(lines[0].split('\n')).toHaveLength(2);
  expect(parsed()[0].stack).toBe('Error: x\n    at a\n    at b');
});

it('filters by the threshold, which setLevel changes for every module logger already made', () => {
  const { h, parsed } = hub({ AMAAS_LOG_LEVEL: 'warn' });
  const a = h.create('a');
  const b = h.create('b');
  a.info('hidden');
  a.warn('shown');
  b.error('shown too');
  b.debug('hidden');
  expect(parsed().map((l) => [l.module, l.level, l.msg])).toEqual([
    ['a', 'warn', 'shown'],
    ['b', 'error', 'shown too'],
  ]);
  h.setLevel('debug');
  a.debug('now shown');
  h.setLevel('error');
  b.warn('hidden again');
  expect(parsed().map((l) => l.msg)).toEqual(['shown', 'shown too', 'now shown']);
  expect(h.level).toBe('error');
});

it('defaults to info when AMAAS_LOG_LEVEL is unset or not a level', () => {
  for (const env of [{}, { AMAAS_LOG_LEVEL: 'loud' }]) {
    const { h, parsed } = hub(env);
    const l = h.create('x');
    l.debug('no');
    l.info('yes');
    expect(parsed().map((e) => e.msg)).toEqual(['yes']);
  }
});

it('AMAAS_TRACE turns on debug lines for the named modules only, whatever the threshold', () => {
  const { h, parsed } = hub({ AMAAS_TRACE: 'pool, scheduler', AMAAS_LOG_LEVEL: 'warn' });
  h.create('pool').debug('pool detail');
  h.create('scheduler').debug('scheduler detail');
  h.create('server').debug('server detail');
  h.create('server').info('server info');
  h.setLevel('error');
  h.create('pool').debug('still traced');
  expect(parsed().map((l) => l.msg)).toEqual(['pool detail', 'scheduler detail', 'still traced']);
});

it('AMAAS_TRACE=all traces every module', () => {
  const { h, parsed } = hub({ AMAAS_TRACE: 'all', AMAAS_LOG_LEVEL: 'error' });
  h.create('anything').debug('seen');
  expect(parsed().map((l) => l.msg)).toEqual(['seen']);
});

it('replaces the value of a field that would hold a credential', () => {
  const { h, lines, parsed } = hub();
  h.create('http').warn('odd request', { authorization: 'Bearer amaas_SECRET', headers: { authorization: 'Bearer amaas_SECRET2', host: 'h' }, token: 'tok_SECRET3' });
  expect(lines.join('')).not.toMatch(/SECRET/);
  expect(parsed()[0]).toMatchObject({ authorization: '[redacted]', headers: { authorization: '[redacted]', host: 'h' }, token: '[redacted]' });
});

describe('the text form for a terminal', () => {
  it('shows time, level, module and message first, then the fields as key=value', () => {
    const json = '{"level":"warn","time":"2026-05-01T12:00:00.000Z","module":"repository","model":"m","version":1,"reason":"a b","msg":"reload failed"}\n';
    expect(textLine(json)).toBe('2026-05-01T12:00:00.000Z WARN  [repository] reload failed model=m version=1 reason="a b"\n');
  });

  it('passes anything that is not a JSON object through unchanged', () => {
    expect(textLine('not json\n')).toBe('not json\n');
  });
});
