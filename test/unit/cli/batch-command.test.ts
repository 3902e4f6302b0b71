/** `amaas batch --input`: one file, a bare .npy, or name=file.npy per model input. */
import { parseInputFlags } from '../../../src/cli/batch-command';

it('takes one file as it is, and name=file.npy pairs as .npy columns', () => {
  expect(parseInputFlags(['rows.jsonl'])).toBe('rows.jsonl');
  expect(parseInputFlags(['x.npy'])).toBe('x.npy');
  expect(parseInputFlags(['a=data/a.npy', 'b=/tmp/b.npy'])).toEqual([
    { input: 'a', path: 'data/a.npy' },
    { input: 'b', path: '/tmp/b.npy' },
  ]);
  // A path with '=' after a slash is a path, not a pair.
  expect(parseInputFlags(['./k=v.jsonl'])).toBe('./k=v.jsonl');
});

it.each([
  [['a.jsonl', 'b.jsonl'], /one --input file/],
  [['a=a.npy', 'rows.jsonl'], /either one --input file/],
  [['a=a.jsonl'], /takes .npy files/],
])('refuses %j', (values, message) => {
  expect(() => parseInputFlags(values)).toThrow(message);
});
