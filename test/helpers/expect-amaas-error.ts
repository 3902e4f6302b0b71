/** Asserts that `fn` throws an AmaasError with `code` whose message contains every string given; returns it. */
import { AmaasError, ErrorCode } from '../../src/errors';

export function expectAmaasError(fn: () => unknown, code: ErrorCode, ...inMessage: string[]): AmaasError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(AmaasError);
  const e = caught as AmaasError;
  expect(e.code).toBe(code);
  for (const s of inMessage) expect(e.message).toContain(s);
  return e;
}
