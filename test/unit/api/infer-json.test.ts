/** decodeInferJson reads the request's `parameters` object as ModelInfer's InferParameters. */
import { decodeInferJson } from '../../../src/api/http/infer-json';
import { parseJson } from '../../../src/codec/json-text';

const body = (parameters: string) =>
  parseJson(`{"parameters": ${parameters}, "inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 1], "data": [1]}]}`);

it('reads priority as a level or a name, and timeout in microseconds', () => {
  expect(decodeInferJson('m', 0, body('{"priority": 3, "timeout": 250000}'))).toMatchObject({ request: { priority: 'low' }, timeoutMs: 250 });
  expect(decodeInferJson('m', 0, body('{"priority": "high"}')).request.priority).toBe('high');
  // 0 is the default for both: the tenant's priority, no timeout.
  const zero = decodeInferJson('m', 0, body('{"priority": 0, "timeout": 0}'));
  expect(zero.request.priority).toBeUndefined();
  expect(zero.timeoutMs).toBeUndefined();
});

it('accepts and ignores other parameters, an integer beyond 2^53 included', () => {
  const d = decodeInferJson('m', 0, body('{"sequence_id": 18446744073709551615, "flag": true, "ratio": 0.5, "note": "x"}'));
  expect(d.request.priority).toBeUndefined();
  expect(d.timeoutMs).toBeUndefined();
  expect(decodeInferJson('m', 0, body('{}')).request.inputs).toHaveLength(1);
});

it('refuses parameters that are not an object, values that are not scalars, and a fractional timeout', () => {
  expect(() => decodeInferJson('m', 0, body('[1]'))).toThrow(/"parameters" must be an object/);
  expect(() => decodeInferJson('m', 0, body('{"priority": [1]}'))).toThrow(/parameter 'priority' must be a number, a string or a boolean/);
  expect(() => decodeInferJson('m', 0, body('{"timeout": 1.5}'))).toThrow(/parameter 'timeout' must be a non-negative int64/);
});
